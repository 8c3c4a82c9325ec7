from collections.abc import Sequence

from policies import facts
from policies.framework import Config, NotApplicable, Resource, StackFindings, of_types, stack_rule

# Must-have services, as the stack declares them.
SERVICES = {
    "aws:securityhub/account:Account": "Security Hub",
    "aws:accessanalyzer/analyzer:Analyzer": "IAM Access Analyzer",
}
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"


@stack_rule(
    name="aws-account-detectors-present",
    types=[
        "aws:securityhub/account:Account",
        "aws:cfg/recorderStatus:RecorderStatus",
        "aws:accessanalyzer/analyzer:Analyzer",
    ],
    account_baseline=True,
    control="DET-02",
    description="The account runs Security Hub, an IAM Access Analyzer and a recording AWS "
    "Config recorder.",
    severity="high",
    remediation="Declare aws.securityhub.Account, aws.accessanalyzer.Analyzer, and an "
    "aws.cfg.Recorder with a DeliveryChannel and a RecorderStatus is_enabled=True (the Audit "
    "component does).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(r.type.startswith("aws:") for r in resources):
        raise NotApplicable("the stack manages no AWS resources")
    for type_, service in SERVICES.items():
        if not any(True for _ in of_types(resources, type_)):
            yield "", f"no {service} in the account"
    if not any(facts.true(s.props.get("isEnabled")) for s in of_types(resources, RECORDER_STATUS)):
        yield "", "no AWS Config recorder is recording: resource changes go unrecorded"


RULE = check
