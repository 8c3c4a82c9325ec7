from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-policy-no-admin",
    control="IAM-01",
    types=facts.GRANT_TYPES,
    description="No IAM policy allows every action on every resource.",
    severity="critical",
    remediation="List the actions the workload needs, scoped to its resources.",
    stack_context=True,
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, statement in facts.granted_statements(props, ctx):
        if facts.grants_everything(statement) and facts.on_every_resource(statement):
            yield f"{where}statement {statement.get('Sid', '')!r} allows Action '*' on Resource '*'"


RULE = check
