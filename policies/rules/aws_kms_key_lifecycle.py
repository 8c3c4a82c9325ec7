from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-kms-key-lifecycle",
    control="KMS-03",
    types=["aws:kms/key:Key"],
    description="Keys carry an explicit policy, stay enabled and wait 30 days before deletion.",
    severity="high",
    remediation="Set policy, is_enabled=True and deletion_window_in_days=30.",
    config_schema={"minDeletionWindowDays": {"type": "integer", "default": 30}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    if facts.document(props.get("policy")) is None:
        yield "no explicit key policy: the account default grants the whole account"
    window = props.get("deletionWindowInDays")
    effective = 30 if window is None else window  # unset means AWS's default, 30 days
    if effective < ctx.config["minDeletionWindowDays"]:
        yield (
            f"deletionWindowInDays is {effective}; "
            f"at least {ctx.config['minDeletionWindowDays']} required"
        )
    if facts.false(props.get("isEnabled")):
        yield "key is disabled"


RULE = check
