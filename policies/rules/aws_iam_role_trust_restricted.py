from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-role-trust-restricted",
    control="IAM-08",
    types=["aws:iam/role:Role"],
    description="Role trust never admits anyone (`*`) or a foreign account without a condition.",
    severity="critical",
    remediation="Trust named roles of this account, or add sts:ExternalId / aws:PrincipalOrgID.",
    config_schema={
        "accountId": {"type": "string", "description": "this environment's account"},
        "organizationId": facts.ORGANIZATION_ID,
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    own = ctx.config.get("accountId")
    for statement in facts.statements(props.get("assumeRolePolicy")):
        if not facts.allows(statement):
            continue
        for account in facts.aws_principal_accounts(statement):
            # Anyone is confined only by a condition naming this environment; a foreign account
            # also by an external id (a literal one: a wildcard confines nothing).
            if account == "*" and not facts.confined(statement, ctx.config):
                yield "trust policy admits Principal '*' with no confining condition"
            elif (
                account not in ("*", own)
                and own
                and not _external_id(statement)
                and not facts.confined(statement, ctx.config)
            ):
                yield f"trust policy admits account {account} without ExternalId or org condition"


def _external_id(statement: Props) -> bool:
    condition = statement.get("Condition") or {}
    block = condition.get("StringEquals") if hasattr(condition, "get") else None
    values = facts.as_list((block or {}).get("sts:ExternalId"))
    return bool(values) and all(isinstance(v, str) and v and "*" not in v for v in values)


RULE = check
