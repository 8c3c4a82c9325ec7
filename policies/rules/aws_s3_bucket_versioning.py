from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule


@stack_rule(
    name="aws-s3-bucket-versioning",
    types=[*facts.BUCKETS, *facts.S3_VERSIONING],
    control="S3-04",
    description="Every bucket keeps versions: a model, artifact or log overwritten stays "
    "recoverable.",
    severity="high",
    remediation="Declare aws.s3.BucketVersioning(bucket=..., status='Enabled').",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    statuses = [
        (v.props.get("versioningConfiguration") or {}).get("status")
        for v in facts.attached(resources, bucket, facts.S3_VERSIONING)
    ]
    inline = bucket.props.get("versioning") or {}
    if "Enabled" not in statuses and not facts.true(inline.get("enabled")):
        shown = statuses[0] if statuses else "absent"
        yield f"versioning is {shown}, not Enabled"


RULE = check
