from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# What a promotion role of the next environment may do here: read approved models.
PROMOTION_READS = ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:ListBucket"]


@resource_rule(
    name="aws-data-flow-same-environment",
    control="ENV-08",
    types=[
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
    ],
    description="No data or images flow between environments: no replication to, and no access "
    "from, another environment's account.",
    severity="critical",
    remediation="Promote through the promotion role and path (staging -> prod), never by sharing.",
    config_schema={
        "otherEnvironments": facts.OTHER_ENVIRONMENTS,
        "promotionReaders": facts.PROMOTION_READERS,
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    others = facts.other_accounts(ctx.config)
    for rule in facts.as_list(props.get("rules")):
        destination = rule.get("destination") or {}
        account = str(destination.get("account") or "") or facts.arn_account(
            destination.get("bucket")
        )
        if account in others:
            yield f"replicates to account {account} of environment {others[account]}"
    for statement in facts.statements(props.get("policy")):
        if not facts.allows(statement) or facts.promotion_read(
            statement, ctx.config["promotionReaders"], PROMOTION_READS
        ):
            continue
        for account in facts.aws_principal_accounts(statement):
            if account in others:
                yield f"policy grants account {account} of environment {others[account]}"


RULE = check
