from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudtrail-kms",
    control="CT-03",
    types=[facts.TRAIL],
    description="Trail log files are encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Set kms_key_id to the environment's logs key.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not props.get("kmsKeyId"):
        yield "no kmsKeyId: log files are encrypted only with S3-managed keys"


RULE = check
