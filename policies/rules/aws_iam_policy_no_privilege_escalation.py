from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ESCALATION = [
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary",
    "sts:AssumeRole",
]


@resource_rule(
    name="aws-iam-policy-no-privilege-escalation",
    control="IAM-04",
    types=facts.GRANT_TYPES,
    description="Permission-management and role-passing actions are never unconstrained.",
    severity="critical",
    remediation="Scope iam:PassRole / sts:AssumeRole to named roles (and iam:PassedToService); "
    "drop policy-editing actions from workload roles.",
    config_schema={"accountId": facts.OPTIONAL_ACCOUNT_ID, "namePrefix": facts.NAME_PREFIX},
    stack_context=True,
)
def check(props: Props, ctx: Ctx) -> Findings:
    account, prefix = ctx.config.get("accountId") or "", ctx.config.get("namePrefix") or ""
    for where, statement in facts.granted_statements(props, ctx):
        hits = facts.granted_actions(statement, ESCALATION)
        if not hits:
            continue
        # A condition does not narrow which roles or policies: only the resources do.
        broad = sorted(
            r for r in facts.resources(statement) if not facts.within_prefix(r, account, prefix)
        )
        if "NotResource" in statement:
            broad.append("NotResource (every resource it does not list)")
        if broad:
            yield (
                f"{where}statement {statement.get('Sid', '')!r} allows {hits} on {broad}, "
                "beyond the environment's own roles and policies"
            )


RULE = check
