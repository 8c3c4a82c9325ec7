from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-trust-same-environment",
    control="ENV-03",
    types=["aws:iam/role:Role"],
    description="Roles trust only principals of their own environment; OIDC subjects name it.",
    severity="critical",
    remediation="Trust this environment's account only; pin GitHub OIDC `sub` to "
    "`repo:<org>/<repo>:environment:<env>` (or its `preview-<env>` gate), with or without the "
    "customized `:job_workflow_ref:` claim.",
    config_schema={"environment": facts.ENVIRONMENT, "otherEnvironments": facts.OTHER_ENVIRONMENTS},
)
def check(props: Props, ctx: Ctx) -> Findings:
    others = facts.other_accounts(ctx.config)
    env = ctx.config.get("environment")
    for statement in facts.statements(props.get("assumeRolePolicy")):
        if not facts.allows(statement):
            continue
        for account in facts.aws_principal_accounts(statement):
            if account in others:
                yield f"trusts account {account} of environment {others[account]}"
        condition = statement.get("Condition") or {}
        for operator in ("StringEquals", "StringLike"):
            block = condition.get(operator) or {}
            for key in block:
                if not str(key).endswith("token.actions.githubusercontent.com:sub"):
                    continue
                for subject in facts.as_list(block.get(key)):
                    named = facts.subject_environment(str(subject))
                    if named is None:
                        yield f"GitHub OIDC subject {subject!r} is not pinned to an environment"
                    elif env and named not in (env, f"preview-{env}"):
                        yield f"GitHub OIDC subject {subject!r} is not this environment ({env})"


RULE = check
