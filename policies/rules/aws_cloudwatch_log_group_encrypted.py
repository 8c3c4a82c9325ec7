from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudwatch-log-group-encrypted",
    control="CW-02",
    types=["aws:cloudwatch/logGroup:LogGroup"],
    description="Log groups are encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Set kms_key_id to the environment's logs key.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not props.get("kmsKeyId"):
        yield "no kmsKeyId: log data is encrypted only with an AWS-owned key"


RULE = check
