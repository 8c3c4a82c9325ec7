from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-cloudtrail-log-validation",
    control="CT-02",
    types=[facts.TRAIL],
    description="Trails sign their log files so tampering is detectable.",
    severity="high",
    remediation="Set enable_log_file_validation=True.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not facts.true(props.get("enableLogFileValidation")):
        yield "enableLogFileValidation is not true: edited or deleted log files go unnoticed"


RULE = check
