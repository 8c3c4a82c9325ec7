from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudtrail-cloudwatch-delivery",
    control="CT-04",
    types=[facts.TRAIL],
    description="Trails deliver to CloudWatch Logs, where the CIS metric filters and alarms watch.",
    severity="medium",
    remediation="Set cloud_watch_logs_group_arn ('<arn>:*') and cloud_watch_logs_role_arn.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not props.get("cloudWatchLogsGroupArn") or not props.get("cloudWatchLogsRoleArn"):
        yield "not delivered to CloudWatch Logs: no alarm can fire on its events"


RULE = check
