from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-access-same-environment",
    control="ENV-09",
    types=["aws:eks/accessEntry:AccessEntry"],
    description="Only this environment's principals get cluster access entries.",
    severity="critical",
    remediation="Grant access to roles of this environment's account only.",
    config_schema={"accountId": facts.ACCOUNT_ID, "otherEnvironments": facts.OTHER_ENVIRONMENTS},
)
def check(props: Props, ctx: Ctx) -> Findings:
    account = facts.arn_account(props.get("principalArn"))
    own = ctx.config.get("accountId")
    others = facts.other_accounts(ctx.config)
    if account in others:
        yield f"grants cluster access to {others[account]}'s account {account}"
    elif own and account and account != own:
        yield f"grants cluster access to foreign account {account}"


RULE = check
