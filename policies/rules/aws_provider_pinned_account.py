import json

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-provider-pinned-account",
    control="ENV-06",
    types=["pulumi:providers:aws"],
    description="Every AWS provider refuses credentials of any account but this environment's.",
    severity="critical",
    remediation="Set allowed_account_ids=[<this environment's account>] on the provider.",
    config_schema={"accountId": facts.ACCOUNT_ID},
)
def check(props: Props, ctx: Ctx) -> Findings:
    own = ctx.config.get("accountId")
    if not own:
        yield "policy config has no accountId: the provider's account cannot be checked"
        return
    raw = props.get("allowedAccountIds")
    allowed = json.loads(raw) if isinstance(raw, str) else list(raw or [])
    if allowed != [own]:
        yield f"allowedAccountIds is {allowed}; expected exactly ['{own}']"
    raw_roles = props.get("assumeRoles") or props.get("assumeRole")
    roles = json.loads(raw_roles) if isinstance(raw_roles, str) else raw_roles or []
    for role in facts.as_list(roles):
        account = facts.arn_account(role.get("roleArn"))
        if account and account != own:
            yield f"assumes role {role.get('roleArn')} in account {account}"


RULE = check
