from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule
from policies.rules.aws_iam_policy_no_admin import POLICY_TYPES

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
    types=POLICY_TYPES,
    description="Permission-management and role-passing actions are never unconstrained.",
    severity="critical",
    remediation="Scope iam:PassRole / sts:AssumeRole to named roles (and iam:PassedToService); "
    "drop policy-editing actions from workload roles.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for statement in facts.granted_statements(props):
        if not facts.allows(statement):
            continue
        if "*" not in facts.resources(statement) or statement.get("Condition"):
            continue
        hits = sorted(
            {
                escalation
                for escalation in ESCALATION
                for action in facts.actions(statement)
                if facts.action_matches(action, escalation)
            }
        )
        if hits:
            yield (
                f"statement {statement.get('Sid', '')!r} allows {hits} on Resource '*' "
                "with no condition"
            )


RULE = check
