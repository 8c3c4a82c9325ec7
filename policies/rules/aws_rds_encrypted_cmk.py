from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-rds-encrypted-cmk",
    control="RDS-02",
    types=facts.RDS_DATABASES,
    description="Database storage is encrypted with the environment's customer-managed key.",
    severity="high",
    remediation="Set storage_encrypted=True and kms_key_id=<storage key>.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:rds/clusterInstance:ClusterInstance":
        raise NotApplicable("storage encryption is the cluster's")
    if not facts.true(props.get("storageEncrypted")):
        yield "storageEncrypted is not true"
    elif not props.get("kmsKeyId"):
        yield "encrypted with the AWS-managed RDS key, not the environment's key"


RULE = check
