"""What the environment may cost, and who hears when it goes off course: a monthly budget for
the environment (its whole account), one per team by cost allocation tag, and a cost anomaly
monitor, all notifying the environment's encrypted alarm topic.

Cost allocation tags are activated in the organization's management account (a member account
cannot): the stack exports the keys to activate, `env` (every resource, provider default tags)
and `mlplat.io/team`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.args import arg, component_args

TEAM_TAG = "mlplat.io/team"
COST_ALLOCATION_TAGS = ("env", TEAM_TAG)
# (kind, threshold % of the limit): actual spend at 80 % and 100 %, and a forecast above it.
NOTIFY_AT = (("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0))


@component_args
class TeamBudget:
    team: str
    monthly_usd: int


@component_args
class CostControlsArgs:
    name_prefix: str = arg("`mlplat-<env>`: budget, monitor and subscription names")
    monthly_usd: int = arg("the environment's monthly budget (its account's whole bill)")
    teams: Sequence[TeamBudget] = arg("a monthly budget per team, by the team's tag")
    anomaly_threshold_usd: int = arg("the total impact from which an anomaly is announced")
    topic_arn: pulumi.Input[str] = arg("the environment's encrypted alarm topic")


def notifications(topic_arn: pulumi.Input[str]) -> list[aws.budgets.BudgetNotificationArgs]:
    return [
        aws.budgets.BudgetNotificationArgs(
            comparison_operator="GREATER_THAN",
            notification_type=kind,
            threshold=threshold,
            threshold_type="PERCENTAGE",
            subscriber_sns_topic_arns=[topic_arn],
        )
        for kind, threshold in NOTIFY_AT
    ]


class CostControls(pulumi.ComponentResource):
    """Budgets (environment, teams), the anomaly monitor and its subscription."""

    def __init__(
        self, name: str, args: CostControlsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:finops:CostControls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The environment is its account: its budget is the whole bill, unfiltered.
        self._budget(f"{name}-monthly", f"{args.name_prefix}-monthly", args.monthly_usd, args)
        for team in args.teams:
            self._budget(
                f"{name}-team-{team.team}",
                f"{args.name_prefix}-team-{team.team}",
                team.monthly_usd,
                args,
                team_filter=team.team,
            )
        monitor = aws.costexplorer.AnomalyMonitor(
            f"{name}-anomalies",
            name=f"{args.name_prefix}-services",
            monitor_type="DIMENSIONAL",
            monitor_dimension="SERVICE",
            opts=child,
        )
        aws.costexplorer.AnomalySubscription(
            f"{name}-anomalies",
            name=f"{args.name_prefix}-anomalies",
            frequency="IMMEDIATE",
            monitor_arn_lists=[monitor.arn],
            subscribers=[
                aws.costexplorer.AnomalySubscriptionSubscriberArgs(
                    type="SNS", address=args.topic_arn
                )
            ],
            threshold_expression=aws.costexplorer.AnomalySubscriptionThresholdExpressionArgs(
                dimension=aws.costexplorer.AnomalySubscriptionThresholdExpressionDimensionArgs(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                    match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[str(args.anomaly_threshold_usd)],
                )
            ),
            opts=child,
        )
        self.cost_allocation_tags = list(COST_ALLOCATION_TAGS)
        self.register_outputs({"cost_allocation_tags": self.cost_allocation_tags})

    def _budget(
        self,
        resource_name: str,
        budget_name: str,
        monthly_usd: int,
        args: CostControlsArgs,
        *,
        team_filter: str | None = None,
    ) -> aws.budgets.Budget:
        return aws.budgets.Budget(
            resource_name,
            name=budget_name,
            budget_type="COST",
            limit_amount=str(monthly_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            cost_filters=[
                aws.budgets.BudgetCostFilterArgs(
                    name="TagKeyValue", values=[f"user:{TEAM_TAG}${team_filter}"]
                )
            ]
            if team_filter
            else None,
            notifications=notifications(args.topic_arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
