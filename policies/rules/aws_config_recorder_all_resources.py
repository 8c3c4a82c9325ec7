from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-config-recorder-all-resources",
    control="DET-02",
    types=["aws:cfg/recorder:Recorder"],
    description="AWS Config records every supported resource type.",
    severity="medium",
    remediation="Set recording_group.all_supported=True.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    group = props.get("recordingGroup") or {}
    if facts.false(group.get("allSupported")):
        yield "recordingGroup.allSupported is false: unlisted resource types change unrecorded"


RULE = check
