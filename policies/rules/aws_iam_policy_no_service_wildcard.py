from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-policy-no-service-wildcard",
    control="IAM-02",
    types=facts.GRANT_TYPES,
    description="No IAM policy allows a whole service (`s3:*`, `iam:*`) or every action.",
    severity="high",
    remediation="Replace `<service>:*` with the specific actions needed.",
    stack_context=True,
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, statement in facts.granted_statements(props, ctx):
        wild = facts.wildcard_services(statement)
        if wild:
            yield f"{where}statement {statement.get('Sid', '')!r} allows whole services: {wild}"


RULE = check
