from collections.abc import Mapping, Sequence
from typing import Any

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

SSE = facts.s3_side(
    "bucketServerSideEncryptionConfiguration", "BucketServerSideEncryptionConfiguration"
)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _defaults(rules: Any) -> list[Mapping[str, Any]]:
    return [r for r in facts.as_list(rules) if isinstance(r, Mapping)]


@stack_rule(
    name="aws-s3-bucket-kms-encryption",
    types=[*facts.BUCKETS, *SSE],
    control="S3-05",
    description="Every bucket encrypts by default with a customer-managed KMS key and bucket keys.",
    severity="high",
    remediation="Declare aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm "
    "'aws:kms', kms_master_key_id=<storage key>, bucket_key_enabled=True.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    rules = [
        r for c in facts.attached(resources, bucket, SSE) for r in _defaults(c.props.get("rules"))
    ]
    inline = bucket.props.get("serverSideEncryptionConfiguration") or {}
    rules += _defaults(inline.get("rule"))
    if not rules:
        yield "no default encryption configuration"
        return
    for rule in rules:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        algorithm = default.get("sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            yield f"default encryption is {algorithm!r}, not SSE-KMS"
        elif not default.get("kmsMasterKeyId"):
            yield "SSE-KMS without kmsMasterKeyId uses the AWS-managed key"
        elif algorithm == "aws:kms" and not facts.true(rule.get("bucketKeyEnabled")):
            yield "bucketKeyEnabled is off: every object costs a KMS request"


RULE = check
