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
    yield from facts.exposed(props.get("policy"), ctx.config)


RULE = check
