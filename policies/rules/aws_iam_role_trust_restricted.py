from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

CONFINING = ("aws:PrincipalOrgID", "sts:ExternalId", "aws:PrincipalAccount", "aws:SourceAccount")


@resource_rule(
    name="aws-iam-role-trust-restricted",
    control="IAM-08",
    types=["aws:iam/role:Role"],
    description="Role trust never admits anyone (`*`) or a foreign account without a condition.",
    severity="critical",
    remediation="Trust named roles of this account, or add sts:ExternalId / aws:PrincipalOrgID.",
    config_schema={"accountId": {"type": "string", "description": "this environment's account"}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    own = ctx.config.get("accountId")
    for statement in facts.statements(props.get("assumeRolePolicy")):
        if not facts.allows(statement):
            continue
        confined = facts.has_condition_key(statement, *CONFINING)
        for account in facts.aws_principal_accounts(statement):
            if account == "*" and not confined:
                yield "trust policy admits Principal '*' with no confining condition"
            elif account != "*" and own and account != own and not confined:
                yield f"trust policy admits account {account} without ExternalId or org condition"


RULE = check
