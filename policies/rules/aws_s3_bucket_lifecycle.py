from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

LIFECYCLE = facts.s3_side("bucketLifecycleConfiguration", "BucketLifecycleConfiguration")


@stack_rule(
    name="aws-s3-bucket-lifecycle",
    types=[*facts.BUCKETS, *LIFECYCLE],
    control="S3-10",
    description="Versioned buckets expire noncurrent versions and abort incomplete uploads.",
    severity="medium",
    remediation="Declare aws.s3.BucketLifecycleConfiguration with noncurrent_version_expiration "
    "and abort_incomplete_multipart_upload rules (status Enabled).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    versioned = any(
        (v.props.get("versioningConfiguration") or {}).get("status") == "Enabled"
        for v in facts.attached(resources, bucket, facts.S3_VERSIONING)
    ) or facts.true((bucket.props.get("versioning") or {}).get("enabled"))
    if not versioned:
        return
    rules = [
        rule
        for config_ in facts.attached(resources, bucket, LIFECYCLE)
        for rule in facts.as_list(config_.props.get("rules"))
        if rule.get("status") == "Enabled"
    ]
    if not any(rule.get("noncurrentVersionExpiration") for rule in rules):
        yield "noncurrent versions never expire"
    if not any(rule.get("abortIncompleteMultipartUpload") for rule in rules):
        yield "incomplete multipart uploads are never aborted"


RULE = check
