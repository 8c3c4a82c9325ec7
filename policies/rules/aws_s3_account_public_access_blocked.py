from collections.abc import Sequence

from policies import facts
from policies.framework import Config, NotApplicable, Resource, StackFindings, of_types, stack_rule


@stack_rule(
    name="aws-s3-account-public-access-blocked",
    types=["aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"],
    account_baseline=True,
    control="S3-02",
    description="The account blocks public S3 access for every bucket, present and future.",
    severity="high",
    remediation="Declare aws.s3.AccountPublicAccessBlock with all four flags True (the "
    "AccountBaseline component does).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(r.type.startswith("aws:") for r in resources):
        raise NotApplicable("the stack manages no AWS resources")
    blocks = list(of_types(resources, "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"))
    if not blocks:
        yield "", "no AccountPublicAccessBlock: buckets created outside this stack may be public"
    for block in blocks:
        off = [flag for flag in facts.PUBLIC_ACCESS_FLAGS if not facts.true(block.props.get(flag))]
        if off:
            yield block.urn, f"account public access block leaves {off} off"


RULE = check
