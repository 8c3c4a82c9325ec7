from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-rds-backups-multi-az",
    control="RDS-04",
    types=["aws:rds/instance:Instance"],
    description="Databases keep at least 7 days of backups and run in two AZs.",
    severity="medium",
    remediation="Set backup_retention_period >= 7 and multi_az=True.",
    config_schema={
        "minBackupDays": {"type": "integer", "default": 7},
        "requireMultiAz": {"type": "boolean", "default": True},
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    days = facts.number(props.get("backupRetentionPeriod"))
    if days < ctx.config["minBackupDays"]:
        yield f"backupRetentionPeriod is {days}; at least {ctx.config['minBackupDays']} required"
    if ctx.config["requireMultiAz"] and not facts.true(props.get("multiAz")):
        yield "multiAz is not true: one AZ failure takes the database down"


RULE = check
