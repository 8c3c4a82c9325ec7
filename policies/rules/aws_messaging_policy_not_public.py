from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-messaging-policy-not-public",
    control="RES-01",
    types=[
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topic:Topic",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/queue:Queue",
    ],
    description="Topic and queue policies allow neither anyone (`*`) nor an account outside the "
    "environment without a condition naming it.",
    severity="critical",
    remediation="Name service principals with aws:SourceAccount of this account, or principals "
    "of this account; confine any `*` with this account's id or organization.",
    config_schema={"accountId": facts.ACCOUNT_ID, "organizationId": facts.ORGANIZATION_ID},
)
def check(props: Props, ctx: Ctx) -> Findings:
    yield from facts.exposed(props.get("policy"), ctx.config)


RULE = check
