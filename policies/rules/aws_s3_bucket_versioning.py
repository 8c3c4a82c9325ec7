from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

VERSIONING = facts.s3_side("bucketVersioning", "BucketVersioning")


@stack_rule(
    name="aws-s3-bucket-versioning",
    control="S3-04",
    description="Every bucket keeps versions: a model, artifact or log overwritten stays "
    "recoverable.",
    severity="high",
    remediation="Declare aws.s3.BucketVersioning(bucket=..., status='Enabled').",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    for bucket in of_types(resources, *facts.BUCKETS):
        statuses = [
            (v.props.get("versioningConfiguration") or {}).get("status")
            for v in facts.attached(resources, bucket, VERSIONING)
        ]
        inline = bucket.props.get("versioning") or {}
        if "Enabled" not in statuses and inline.get("enabled") is not True:
            shown = statuses[0] if statuses else "absent"
            yield bucket.urn, f"versioning is {shown}, not Enabled"


RULE = check
