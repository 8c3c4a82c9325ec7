from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

DECRYPT = ["kms:Decrypt", "kms:ReEncryptFrom"]


@resource_rule(
    name="aws-iam-policy-no-kms-decrypt-all",
    control="IAM-11",
    types=facts.GRANT_TYPES,
    description="kms:Decrypt and kms:ReEncrypt* are granted on named keys, never on every key.",
    severity="high",
    remediation="Grant decryption on the key ARNs the workload reads.",
    stack_context=True,
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, statement in facts.granted_statements(props, ctx):
        if not facts.on_every_resource(statement) or (
            "NotAction" not in statement and "*" in facts.actions(statement)
        ):
            continue  # `*` itself is IAM-01's finding
        hits = facts.granted_actions(statement, DECRYPT)
        if hits:
            yield f"{where}statement {statement.get('Sid', '')!r} allows {hits} on every key"


RULE = check
