from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-rds-not-public",
    control="RDS-01",
    types=facts.RDS_INSTANCES,
    description="Database instances are never publicly accessible.",
    severity="critical",
    remediation="Set publicly_accessible=False and use a subnet group of intra subnets.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if facts.true(props.get("publiclyAccessible")):
        yield "publiclyAccessible is true: the database gets a public DNS name and IP"


RULE = check
