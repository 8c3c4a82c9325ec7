from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-kms-key-rotation",
    control="KMS-01",
    types=["aws:kms/key:Key"],
    description="Symmetric customer-managed keys rotate automatically, at least yearly.",
    severity="high",
    remediation="Set enable_key_rotation=True and rotation_period_in_days <= 365.",
    config_schema={"maxRotationDays": {"type": "integer", "default": 365}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    spec = props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT":
        raise NotApplicable(f"{spec} keys cannot rotate automatically")
    if not facts.true(props.get("enableKeyRotation")):
        yield "key rotation is off: set enableKeyRotation to true"
        return
    period = props.get("rotationPeriodInDays")
    if period is not None and not 0 <= facts.number(period) <= ctx.config["maxRotationDays"]:
        yield f"rotationPeriodInDays is {period}; at most {ctx.config['maxRotationDays']} allowed"


RULE = check
