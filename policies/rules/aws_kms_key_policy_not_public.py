from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# Conditions that confine a `*` principal to known callers.
CONFINING = ("aws:PrincipalOrgID", "aws:PrincipalAccount", "kms:CallerAccount", "aws:SourceAccount")


@resource_rule(
    name="aws-kms-key-policy-not-public",
    control="KMS-02",
    types=["aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"],
    description="Key policies never grant a `*` principal without confining it to known accounts.",
    severity="critical",
    remediation="Name account or role principals; never Principal '*' without an account "
    "condition.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for index, statement in enumerate(facts.statements(props.get("policy"))):
        if not facts.allows(statement):
            continue
        if "*" in facts.principals(statement) and not facts.has_condition_key(
            statement, *CONFINING
        ):
            sid = statement.get("Sid", index)
            yield f"statement {sid!r} allows Principal '*' with no account-confining condition"


RULE = check
