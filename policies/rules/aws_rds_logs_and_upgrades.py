from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-rds-logs-and-upgrades",
    control="RDS-06",
    types=facts.RDS_DATABASES,
    description="Databases export their logs to CloudWatch and take minor-version patches.",
    severity="medium",
    remediation="Set enabled_cloudwatch_logs_exports (e.g. ['postgresql', 'upgrade']) and keep "
    "auto_minor_version_upgrade=True.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type != "aws:rds/clusterInstance:ClusterInstance" and not list(
        props.get("enabledCloudwatchLogsExports") or []
    ):
        yield "no enabledCloudwatchLogsExports: database logs never reach CloudWatch"
    if ctx.type != "aws:rds/cluster:Cluster" and facts.false(props.get("autoMinorVersionUpgrade")):
        yield "autoMinorVersionUpgrade is false: security patches wait for a human"


RULE = check
