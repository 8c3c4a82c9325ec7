from collections.abc import Sequence

from policies import facts
from policies.framework import Config, NotApplicable, Resource, StackFindings, of_types, stack_rule

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


@stack_rule(
    name="aws-guardduty-present",
    types=["aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature"],
    account_baseline=True,
    control="DET-01",
    description="The account has a GuardDuty detector with EKS audit-log and runtime monitoring.",
    severity="high",
    remediation="Declare an aws.guardduty.Detector and DetectorFeatures EKS_AUDIT_LOGS and "
    "RUNTIME_MONITORING on it (the Audit component does).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(r.type.startswith("aws:") for r in resources):
        raise NotApplicable("the stack manages no AWS resources")
    detectors = list(of_types(resources, DETECTOR))
    if not detectors:
        yield "", "no GuardDuty detector: threats to the account and cluster go undetected"
    features = list(of_types(resources, FEATURE))
    for detector in detectors:
        enabled = {
            f.props.get("name")
            for f in features
            if f.refers_to("detectorId", detector) and f.props.get("status") == "ENABLED"
        }
        for missing in (name for name in facts.GUARDDUTY_FEATURES if name not in enabled):
            yield detector.urn, f"{missing} is not enabled on this detector"


RULE = check
