from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

LOCK = facts.s3_side("bucketObjectLockConfiguration", "BucketObjectLockConfiguration")


@stack_rule(
    name="aws-s3-audit-bucket-object-lock",
    control="S3-06",
    description="Audit-log buckets (data class `audit-logs`) lock objects against deletion.",
    severity="high",
    remediation="Create the bucket with object_lock_enabled=True (forces replacement on an "
    "existing bucket) and a BucketObjectLockConfiguration with a default retention.",
    config_schema={"lockedDataClasses": {"type": "array", "default": ["audit-logs"]}},
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    for bucket in of_types(resources, *facts.BUCKETS):
        if facts.data_class(bucket) not in config["lockedDataClasses"]:
            continue
        if bucket.props.get("objectLockEnabled") is not True:
            yield bucket.urn, "objectLockEnabled is not true on an audit-log bucket"
        locks = facts.attached(resources, bucket, LOCK)
        retention = [(lock.props.get("rule") or {}).get("defaultRetention") or {} for lock in locks]
        valid = [
            r
            for r in retention
            if r.get("mode") in ("COMPLIANCE", "GOVERNANCE") and (r.get("days") or r.get("years"))
        ]
        if not valid:
            yield bucket.urn, "no object lock default retention (mode and days or years)"


RULE = check
