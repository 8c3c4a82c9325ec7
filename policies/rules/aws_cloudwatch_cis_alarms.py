from collections.abc import Sequence

from policies import facts
from policies.framework import Config, NotApplicable, Resource, StackFindings, of_types, stack_rule

FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# CIS AWS Foundations section 4: a check, and a term its CloudTrail pattern cannot do without.
CIS_CHECKS = {
    "unauthorized API calls": "UnauthorizedOperation",
    "console sign-in without MFA": "MFAUsed",
    "root account usage": '"Root"',
    "IAM policy changes": "PutRolePolicy",
    "CloudTrail changes": "StopLogging",
    "console authentication failures": "Failed authentication",
    "KMS key disabled or deleted": "ScheduleKeyDeletion",
    "S3 bucket policy changes": "PutBucketPolicy",
    "Config changes": "StopConfigurationRecorder",
    "security group changes": "AuthorizeSecurityGroupIngress",
    "network ACL changes": "CreateNetworkAclEntry",
    "network gateway changes": "CreateInternetGateway",
    "route table changes": "CreateRoute",
    "VPC changes": "CreateVpc",
    "Organizations changes": "organizations.amazonaws.com",
}


def _alarmed_metrics(resources: Sequence[Resource]) -> set[tuple[str, str]]:
    """(namespace, metric) of every alarm that notifies someone."""
    return {
        (str(a.props.get("namespace")), str(a.props.get("metricName")))
        for a in of_types(resources, ALARM)
        if not facts.false(a.props.get("actionsEnabled"))
        and list(a.props.get("alarmActions") or [])
    }


@stack_rule(
    name="aws-cloudwatch-cis-alarms",
    types=[
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    ],
    account_baseline=True,
    control="CW-03",
    description="Each CIS metric filter on the trail's log group exists and its alarm notifies "
    "someone.",
    severity="medium",
    remediation="Declare a LogMetricFilter per CIS check on the trail's log group and a "
    "MetricAlarm on its metric with alarm_actions (the Audit component does).",
    config_schema={"checks": {"type": "array", "default": sorted(CIS_CHECKS)}},
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(r.type.startswith("aws:") for r in resources):
        raise NotApplicable("the stack manages no AWS resources")
    alarmed = _alarmed_metrics(resources)
    filters = list(of_types(resources, FILTER))
    for name in config["checks"]:
        term = CIS_CHECKS.get(name)
        if term is None:
            continue
        matching = [f for f in filters if term in str(f.props.get("pattern") or "")]
        if not matching:
            yield "", f"no metric filter for CIS check {name!r}"
            continue
        for metric_filter in matching:
            transformation = metric_filter.props.get("metricTransformation") or {}
            metric = (str(transformation.get("namespace")), str(transformation.get("name")))
            if metric not in alarmed:
                yield metric_filter.urn, f"no alarm with actions on the {name!r} metric"


RULE = check
