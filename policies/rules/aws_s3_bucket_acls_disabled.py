from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
ACLS = facts.s3_side("bucketAcl", "BucketAcl")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


@stack_rule(
    name="aws-s3-bucket-acls-disabled",
    control="S3-07",
    description="Every bucket disables ACLs (owner enforced) and none grants a public ACL.",
    severity="high",
    remediation="Declare aws.s3.BucketOwnershipControls(rule.object_ownership="
    "'BucketOwnerEnforced'); remove ACL grants.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    for acl in of_types(resources, *ACLS):
        if acl.props.get("acl") in PUBLIC_ACLS:
            yield acl.urn, f"canned ACL {acl.props.get('acl')!r} makes objects public"
    for bucket in of_types(resources, *facts.BUCKETS):
        if bucket.props.get("acl") in PUBLIC_ACLS:
            yield bucket.urn, f"canned ACL {bucket.props.get('acl')!r} makes objects public"
        owners = [
            (c.props.get("rule") or {}).get("objectOwnership")
            for c in facts.attached(resources, bucket, OWNERSHIP)
        ]
        if "BucketOwnerEnforced" not in owners:
            yield (
                bucket.urn,
                f"object ownership is {owners[0] if owners else 'unset'}, not BucketOwnerEnforced",
            )


RULE = check
