from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
ACLS = facts.s3_side("bucketAcl", "BucketAcl")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


@stack_rule(
    name="aws-s3-bucket-acls-disabled",
    types=[*facts.BUCKETS, *ACLS, *OWNERSHIP],
    control="S3-07",
    description="Every bucket disables ACLs (owner enforced) and none grants a public ACL.",
    severity="high",
    remediation="Declare aws.s3.BucketOwnershipControls(rule.object_ownership="
    "'BucketOwnerEnforced'); remove ACL grants.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    yield from each(of_types(resources, *ACLS), _acl)
    yield from each(of_types(resources, *facts.BUCKETS), lambda bucket: _bucket(resources, bucket))


def _acl(acl: Resource) -> Findings:
    if acl.props.get("acl") in PUBLIC_ACLS:
        yield f"canned ACL {acl.props.get('acl')!r} makes objects public"


def _bucket(resources: Sequence[Resource], bucket: Resource) -> Findings:
    if bucket.props.get("acl") in PUBLIC_ACLS:
        yield f"canned ACL {bucket.props.get('acl')!r} makes objects public"
    owners = [
        (c.props.get("rule") or {}).get("objectOwnership")
        for c in facts.attached(resources, bucket, OWNERSHIP)
    ]
    if "BucketOwnerEnforced" not in owners:
        yield f"object ownership is {owners[0] if owners else 'unset'}, not BucketOwnerEnforced"


RULE = check
