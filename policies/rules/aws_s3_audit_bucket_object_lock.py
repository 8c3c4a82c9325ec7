from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

LOCK = facts.s3_side("bucketObjectLockConfiguration", "BucketObjectLockConfiguration")


@stack_rule(
    name="aws-s3-audit-bucket-object-lock",
    types=[*facts.BUCKETS, *LOCK],
    control="S3-06",
    description="Audit-log buckets (data class `audit-logs`) lock objects against deletion.",
    severity="high",
    remediation="Create the bucket with object_lock_enabled=True (forces replacement on an "
    "existing bucket) and a BucketObjectLockConfiguration with a default retention.",
    config_schema={"lockedDataClasses": {"type": "array", "default": ["audit-logs"]}},
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(
        of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, config, bucket)
    )


def _bucket(resources: Sequence[Resource], config: Config, bucket: Resource) -> Findings:
    if facts.data_class(bucket) not in config["lockedDataClasses"]:
        return
    if not facts.true(bucket.props.get("objectLockEnabled")):
        yield "objectLockEnabled is not true on an audit-log bucket"
    locks = facts.attached(resources, bucket, LOCK)
    retention = [(lock.props.get("rule") or {}).get("defaultRetention") or {} for lock in locks]
    valid = [
        r
        for r in retention
        if r.get("mode") in ("COMPLIANCE", "GOVERNANCE") and (r.get("days") or r.get("years"))
    ]
    if not valid:
        yield "no object lock default retention (mode and days or years)"


RULE = check
