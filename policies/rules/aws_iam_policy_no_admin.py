from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

POLICY_TYPES = [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
]


@resource_rule(
    name="aws-iam-policy-no-admin",
    control="IAM-01",
    types=POLICY_TYPES,
    description="No IAM policy allows every action on every resource.",
    severity="critical",
    remediation="List the actions the workload needs, scoped to its resources.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for statement in facts.granted_statements(props):
        actions, resources = facts.actions(statement), facts.resources(statement)
        if facts.allows(statement) and "*" in actions and "*" in resources:
            yield f"statement {statement.get('Sid', '')!r} allows Action '*' on Resource '*'"


RULE = check
