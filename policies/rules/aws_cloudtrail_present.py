from collections.abc import Sequence

from policies import facts
from policies.framework import Config, NotApplicable, Resource, StackFindings, of_types, stack_rule


@stack_rule(
    name="aws-cloudtrail-present",
    types=["aws:cloudtrail/trail:Trail"],
    account_baseline=True,
    control="CT-01",
    description="The account has a multi-region CloudTrail trail.",
    severity="critical",
    remediation="Declare an aws.cloudtrail.Trail with is_multi_region_trail=True (the Audit "
    "component does).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(r.type.startswith("aws:") for r in resources):
        raise NotApplicable("the stack manages no AWS resources")
    trails = list(of_types(resources, facts.TRAIL))
    if not any(facts.true(t.props.get("isMultiRegionTrail")) for t in trails):
        yield "", "no multi-region CloudTrail trail: the account's API activity is not recorded"


RULE = check
