from policies.framework import Ctx, Findings, Props, resource_rule

STATEFUL = [
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:kms/key:Key",
    "aws:eks/cluster:Cluster",
    "aws:efs/fileSystem:FileSystem",
    "aws:dynamodb/table:Table",
    "aws:ecr/repository:Repository",
]


@resource_rule(
    name="stateful-resources-protected",
    control="ENV-10",
    types=STATEFUL,
    description="Stateful resources (buckets, databases, keys, clusters) are protected from "
    "deletion by Pulumi.",
    severity="high",
    remediation="Create them with ResourceOptions(protect=True) (the stack does where the "
    "environment's protection.stateful_resources is true).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not (ctx.protect or ctx.retain_on_delete):
        yield "not protected: a `pulumi destroy` or a rename would delete it and its data"


RULE = check
