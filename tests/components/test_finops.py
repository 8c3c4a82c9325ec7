"""CostControls: the environment's and each team's budget, and the anomaly monitor, all
notifying the alarm topic."""

from __future__ import annotations

from collections import Counter

import pytest

from components.finops import CostControls, CostControlsArgs, TeamBudget
from tests.recording import ACCOUNT, REGION, record

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlplat-prod-alarms"


@pytest.fixture(scope="module")
def costs():
    def build():
        CostControls(
            "prod",
            CostControlsArgs(
                name_prefix="mlplat-prod",
                monthly_usd=40000,
                teams=[TeamBudget(team="fraud", monthly_usd=12000)],
                anomaly_threshold_usd=1000,
                topic_arn=TOPIC,
            ),
        )

    return record(build)


def test_children(costs):
    component = costs.one("mlplat:finops:CostControls")
    assert costs.child_types(component.urn) == Counter(
        {
            "aws:budgets/budget:Budget": 2,
            "aws:costexplorer/anomalyMonitor:AnomalyMonitor": 1,
            "aws:costexplorer/anomalySubscription:AnomalySubscription": 1,
        }
    )


def test_budgets_warn_at_80_and_100_percent_and_on_a_forecast(costs):
    budgets = {b.inputs["name"]: b.inputs for b in costs.of_type("aws:budgets/budget:Budget")}
    environment, team = budgets["mlplat-prod-monthly"], budgets["mlplat-prod-team-fraud"]
    assert (environment["limitAmount"], environment["limitUnit"]) == ("40000", "USD")
    assert environment["timeUnit"] == "MONTHLY" and environment["budgetType"] == "COST"
    assert "costFilters" not in environment  # the account is the environment: its whole bill
    assert team["limitAmount"] == "12000"
    assert team["costFilters"] == [{"name": "TagKeyValue", "values": ["user:mlplat.io/team$fraud"]}]
    for budget in budgets.values():
        alerts = [(n["notificationType"], n["threshold"]) for n in budget["notifications"]]
        assert alerts == [("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)]
        assert all(n["subscriberSnsTopicArns"] == [TOPIC] for n in budget["notifications"])


def test_anomalies_of_the_threshold_reach_the_topic_at_once(costs):
    monitor = costs.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor")
    assert (monitor.inputs["monitorType"], monitor.inputs["monitorDimension"]) == (
        "DIMENSIONAL",
        "SERVICE",
    )
    subscription = costs.one("aws:costexplorer/anomalySubscription:AnomalySubscription").inputs
    assert subscription["frequency"] == "IMMEDIATE"
    assert subscription["monitorArnLists"] == [monitor.outputs["arn"]]
    assert subscription["subscribers"] == [{"type": "SNS", "address": TOPIC}]
    dimension = subscription["thresholdExpression"]["dimension"]
    assert dimension == {
        "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
        "matchOptions": ["GREATER_THAN_OR_EQUAL"],
        "values": ["1000"],
    }
