from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
BPA = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)


@stack_rule(
    name="aws-s3-bucket-public-access-blocked",
    control="S3-01",
    description="Every bucket has a public access block with all four flags on.",
    severity="critical",
    remediation="Declare aws.s3.BucketPublicAccessBlock(bucket=..., all four flags True).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    for block in of_types(resources, *BPA):
        off = [flag for flag in FLAGS if block.props.get(flag) is not True]
        if off:
            yield block.urn, f"public access block leaves {off} off"
    for bucket in of_types(resources, *facts.BUCKETS):
        if not facts.attached(resources, bucket, BPA):
            yield bucket.urn, "bucket has no public access block"


RULE = check
