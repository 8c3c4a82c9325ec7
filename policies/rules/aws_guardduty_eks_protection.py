from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-guardduty-eks-protection",
    control="DET-01",
    types=["aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature"],
    description="GuardDuty is on, with EKS audit-log and runtime monitoring.",
    severity="high",
    remediation="Set Detector enable=True and DetectorFeature EKS_AUDIT_LOGS and "
    "RUNTIME_MONITORING status='ENABLED'.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:guardduty/detector:Detector":
        if facts.false(props.get("enable")):
            yield "the detector is disabled"
        return
    name = props.get("name")
    if name not in facts.GUARDDUTY_FEATURES:
        raise NotApplicable(f"{name} is not an EKS protection")
    if props.get("status") != "ENABLED":
        yield f"{name} is {props.get('status')}, not ENABLED"


RULE = check
