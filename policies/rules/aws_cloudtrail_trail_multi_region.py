from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudtrail-trail-multi-region",
    control="CT-01",
    types=[facts.TRAIL],
    description="Trails log every region and all read and write management events.",
    severity="high",
    remediation="Set is_multi_region_trail=True, include_global_service_events=True, "
    "enable_logging=True and read_write_type='All' for management events.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not facts.true(props.get("isMultiRegionTrail")):
        yield "isMultiRegionTrail is not true"
    if facts.false(props.get("enableLogging")):
        yield "enableLogging is false: the trail records nothing"
    if facts.false(props.get("includeGlobalServiceEvents")):
        yield "includeGlobalServiceEvents is false: IAM and STS events are missed"
    for index, selector in enumerate(facts.as_list(props.get("eventSelectors"))):
        if facts.false(selector.get("includeManagementEvents")):
            yield f"eventSelectors[{index}] excludes management events"
        elif (selector.get("readWriteType") or "All") != "All":
            yield f"eventSelectors[{index}] logs only {selector.get('readWriteType')} events"


RULE = check
