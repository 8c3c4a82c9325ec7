from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudwatch-log-group-retention",
    control="CW-01",
    types=["aws:cloudwatch/logGroup:LogGroup"],
    description="Log groups keep logs for a set time, at least the environment's minimum.",
    severity="medium",
    remediation="Set retention_in_days to at least the minimum (365 unless the environment's "
    "policy config says otherwise, with a reason).",
    config_schema={"minRetentionDays": {"type": "integer", "default": 365}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    days = facts.number(props.get("retentionInDays"))
    if not days:
        yield "no retention: logs are kept forever, unbounded cost and no lifecycle"
    elif days < ctx.config["minRetentionDays"]:
        yield f"retentionInDays is {days}; at least {ctx.config['minRetentionDays']} required"


RULE = check
