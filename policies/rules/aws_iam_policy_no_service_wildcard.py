from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule
from policies.rules.aws_iam_policy_no_admin import POLICY_TYPES


@resource_rule(
    name="aws-iam-policy-no-service-wildcard",
    control="IAM-02",
    types=POLICY_TYPES,
    description="No IAM policy allows a whole service (`s3:*`, `iam:*`) or every action.",
    severity="high",
    remediation="Replace `<service>:*` with the specific actions needed.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for statement in facts.granted_statements(props):
        if not facts.allows(statement):
            continue
        wild = sorted(a for a in facts.actions(statement) if a == "*" or a.endswith(":*"))
        if wild:
            yield f"statement {statement.get('Sid', '')!r} allows whole services: {wild}"


RULE = check
