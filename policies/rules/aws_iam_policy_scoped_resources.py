from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# Actions that accept a resource ARN: granting them on "*" reaches every bucket, secret, queue.
# (KMS decrypt on "*" is its own control, IAM-11.)
SCOPABLE = [
    "s3:GetObject*",
    "s3:PutObject*",
    "s3:DeleteObject*",
    "s3:ListBucket*",
    "s3:GetBucket*",
    "s3:PutBucket*",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "logs:PutLogEvents",
    "logs:CreateLogStream",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "rds-db:connect",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
]


@resource_rule(
    name="aws-iam-policy-scoped-resources",
    control="IAM-03",
    types=facts.GRANT_TYPES,
    description="Actions that can be scoped to resources are never granted on Resource '*'.",
    severity="high",
    remediation="Name the bucket, prefix, secret or queue ARNs instead of '*'.",
    stack_context=True,
    config_schema={
        "scopableActions": {"type": "array", "items": {"type": "string"}, "default": SCOPABLE}
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    scopable = ctx.config["scopableActions"]
    for where, statement in facts.granted_statements(props, ctx):
        if not facts.allows(statement) or not facts.on_every_resource(statement):
            continue
        if "NotAction" in statement:
            hits = facts.granted_actions(statement, scopable)
        else:  # `*` itself is IAM-01's and IAM-02's finding
            hits = sorted(
                {
                    action
                    for action in facts.actions(statement)
                    if action != "*" and any(facts.action_matches(action, p) for p in scopable)
                }
            )
        if hits:
            yield f"{where}statement {statement.get('Sid', '')!r} grants {hits} on Resource '*'"


RULE = check
