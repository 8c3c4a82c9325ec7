from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-s3-bucket-policy-not-public",
    control="S3-09",
    types=["aws:s3/bucketPolicy:BucketPolicy", *facts.BUCKETS],
    description="Bucket policies allow neither anyone (`*`) nor an account outside the "
    "environment without a confining condition.",
    severity="critical",
    remediation="Name principals of this account, or confine with aws:PrincipalOrgID, "
    "aws:SourceAccount or aws:SourceVpce.",
    config_schema={"accountId": facts.ACCOUNT_ID, "organizationId": facts.ORGANIZATION_ID},
)
def check(props: Props, ctx: Ctx) -> Findings:
    own = ctx.config.get("accountId")
    for statement in facts.statements(props.get("policy")):
        if not facts.allows(statement) or facts.confined(statement, ctx.config):
            continue
        for account in facts.aws_principal_accounts(statement):
            if account == "*":
                yield f"statement {statement.get('Sid', '')!r} allows anyone"
            elif own and account != own and not facts.named_principals(statement):
                yield f"statement {statement.get('Sid', '')!r} allows account {account}"


RULE = check
