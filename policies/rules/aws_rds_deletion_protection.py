from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-rds-deletion-protection",
    control="RDS-03",
    types=facts.RDS_DATABASES,
    description="Databases refuse deletion and always leave a final snapshot.",
    severity="high",
    remediation="Set deletion_protection=True, skip_final_snapshot=False and "
    "final_snapshot_identifier.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:rds/clusterInstance:ClusterInstance":
        raise NotApplicable("deletion protection is the cluster's")
    if not facts.true(props.get("deletionProtection")):
        yield "deletionProtection is not true"
    if facts.true(props.get("skipFinalSnapshot")):
        yield "skipFinalSnapshot is true: deleting the database keeps nothing"
    elif not props.get("finalSnapshotIdentifier"):
        yield "no finalSnapshotIdentifier: the provider cannot take the final snapshot"


RULE = check
