from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

LOGGING = facts.s3_side("bucketLogging", "BucketLogging")


@stack_rule(
    name="aws-s3-bucket-access-logging",
    types=[*facts.BUCKETS, *LOGGING],
    control="S3-08",
    description="Every bucket logs server access to the log bucket (the log bucket itself "
    "excepted).",
    severity="medium",
    remediation="Declare aws.s3.BucketLogging(bucket=..., target_bucket=<access-log bucket>).",
    config_schema={"logTargetDataClasses": {"type": "array", "default": ["access-logs"]}},
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(
        of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, config, bucket)
    )


def _bucket(resources: Sequence[Resource], config: Config, bucket: Resource) -> Findings:
    if facts.data_class(bucket) in config["logTargetDataClasses"]:
        return
    logs = facts.attached(resources, bucket, LOGGING)
    targets = [entry.props.get("targetBucket") for entry in logs]
    inline = bucket.props.get("logging") or {}
    if not any(targets) and not inline.get("targetBucket"):
        yield "no server access logging"


RULE = check
