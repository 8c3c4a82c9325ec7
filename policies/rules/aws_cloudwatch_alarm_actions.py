from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudwatch-alarm-actions",
    control="CW-03",
    types=["aws:cloudwatch/metricAlarm:MetricAlarm"],
    description="Every alarm notifies someone.",
    severity="medium",
    remediation="Set alarm_actions to the environment's (encrypted) SNS topic.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if facts.false(props.get("actionsEnabled")):
        yield "actionsEnabled is false: the alarm changes state silently"
    elif not list(props.get("alarmActions") or []):
        yield "no alarmActions: the alarm notifies no one"


RULE = check
