from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

BPA = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)


@stack_rule(
    name="aws-s3-bucket-public-access-blocked",
    types=[*facts.BUCKETS, *BPA],
    control="S3-01",
    description="Every bucket has a public access block with all four flags on.",
    severity="critical",
    remediation="Declare aws.s3.BucketPublicAccessBlock(bucket=..., all four flags True).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *BPA), _block)
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _block(block: Resource) -> Findings:
    off = [flag for flag in facts.PUBLIC_ACCESS_FLAGS if not facts.true(block.props.get(flag))]
    if off:
        yield f"public access block leaves {off} off"


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    if not facts.attached(resources, bucket, BPA):
        yield "bucket has no public access block"


RULE = check
