from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-kms-key-policy-not-public",
    control="KMS-02",
    types=["aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"],
    description="Key policies never grant a `*` principal without confining it to known accounts.",
    severity="critical",
    remediation="Name account or role principals; never Principal '*' without a condition "
    "naming this environment's account or organization.",
    config_schema={"accountId": facts.OPTIONAL_ACCOUNT_ID, "organizationId": facts.ORGANIZATION_ID},
)
def check(props: Props, ctx: Ctx) -> Findings:
    for index, statement in enumerate(facts.statements(props.get("policy"))):
        if not facts.allows(statement):
            continue
        if "*" in facts.aws_principal_accounts(statement) and not facts.confined(
            statement, ctx.config
        ):
            sid = statement.get("Sid", index)
            yield f"statement {sid!r} allows Principal '*' with no account-confining condition"


RULE = check
