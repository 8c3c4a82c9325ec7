from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule
from policies.rules.aws_iam_policy_no_admin import POLICY_TYPES


@resource_rule(
    name="aws-iam-policy-no-kms-decrypt-all",
    control="IAM-11",
    types=POLICY_TYPES,
    description="kms:Decrypt and kms:ReEncrypt* are granted on named keys, never on every key.",
    severity="high",
    remediation="Grant decryption on the key ARNs the workload reads.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for statement in facts.granted_statements(props):
        if not facts.allows(statement) or "*" not in facts.resources(statement):
            continue
        hits = sorted(
            {
                action
                for action in facts.actions(statement)
                if action != "*"
                and any(
                    facts.action_matches(action, p) for p in ("kms:Decrypt", "kms:ReEncryptFrom")
                )
            }
        )
        if hits:
            yield f"statement {statement.get('Sid', '')!r} allows {hits} on every key"


RULE = check
