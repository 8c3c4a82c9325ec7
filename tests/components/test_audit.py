"""Audit: the locked audit bucket, the trail with registry data events, CIS filters and alarms
on the environment's alarm topic, GuardDuty's EKS protections, Config, Security Hub, Access
Analyzer."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.audit import CIS_FILTERS, Audit, AuditArgs
from components.bucket import ObjectLock
from tests.components.builders import BOUNDARY, LOGS_KEY, STORAGE_KEY
from tests.recording import ACCOUNT, REGION, policy, record

REGISTRY = "arn:aws:s3:::mlplat-prod-models-111122223333"
BUCKET = f"mlplat-prod-audit-logs-{ACCOUNT}"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/mlplat-prod"

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlplat-prod-alarms"


@pytest.fixture(scope="module")
def audit():
    def build():
        Audit(
            "prod",
            AuditArgs(
                name_prefix="mlplat-prod",
                account_id=ACCOUNT,
                region=REGION,
                bucket_name=BUCKET,
                storage_key_arn=STORAGE_KEY,
                logs_key_arn=LOGS_KEY,
                access_log_bucket="mlplat-prod-access-logs-1",
                object_lock=ObjectLock(mode="COMPLIANCE", days=365),
                archive_after_days=90,
                retention_days=2557,
                log_retention_days=365,
                data_event_bucket_arns=[REGISTRY],
                topic_arn=TOPIC,
                permissions_boundary_arn=BOUNDARY,
            ),
        )

    return record(build)


def test_children(audit):
    component = audit.one("mlplat:audit:Audit")
    checks = len(CIS_FILTERS)
    assert audit.child_types(component.urn) == Counter(
        {
            "mlplat:storage:SecureBucket": 1,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "aws:cloudtrail/trail:Trail": 1,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter": checks,
            "aws:cloudwatch/metricAlarm:MetricAlarm": checks,
            "aws:guardduty/detector:Detector": 1,
            "aws:guardduty/detectorFeature:DetectorFeature": 3,
            "aws:accessanalyzer/analyzer:Analyzer": 1,
            "aws:iam/serviceLinkedRole:ServiceLinkedRole": 1,
            "aws:cfg/recorder:Recorder": 1,
            "aws:cfg/deliveryChannel:DeliveryChannel": 1,
            "aws:cfg/recorderStatus:RecorderStatus": 1,
            "aws:securityhub/account:Account": 1,
            "aws:securityhub/standardsSubscription:StandardsSubscription": 2,
        }
    )
    assert checks == 15  # CIS AWS Foundations 4.1-4.15


def test_trail_records_every_region_signs_encrypts_and_watches_the_registry(audit):
    trail = audit.one("aws:cloudtrail/trail:Trail").inputs
    assert trail["name"] == "mlplat-prod"
    assert trail["isMultiRegionTrail"] is True
    assert trail["includeGlobalServiceEvents"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail["enableLogging"] is True
    assert trail["kmsKeyId"] == LOGS_KEY
    assert trail["s3BucketName"] == BUCKET
    assert trail["cloudWatchLogsGroupArn"].endswith(":log-group:/aws/cloudtrail/mlplat-prod:*")
    management, data = trail["advancedEventSelectors"]
    assert management["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    assert data["fieldSelectors"] == [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        {"field": "resources.ARN", "startsWiths": [f"{REGISTRY}/"]},
    ]
    assert "eventSelectors" not in trail


def test_trail_delivers_to_logs_through_a_bounded_role_scoped_to_its_group(audit):
    role = audit.one("aws:iam/role:Role").inputs
    assert role["name"] == "mlplat-prod-cloudtrail-logs"
    assert role["permissionsBoundary"] == BOUNDARY
    (trust,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": TRAIL}
    (grant,) = policy(audit.one("aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    assert grant["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    (resource,) = grant["Resource"]
    assert resource.endswith(":log-group:/aws/cloudtrail/mlplat-prod:log-stream:*")
    group = audit.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (group["kmsKeyId"], group["retentionInDays"]) == (LOGS_KEY, 365)


def test_audit_bucket_is_locked_archived_and_open_only_to_this_trail_and_config(audit):
    bucket = audit.one("aws:s3/bucket:Bucket").inputs
    assert bucket["objectLockEnabled"] is True
    assert bucket["tags"] == {"mlplat.io/data-class": "audit-logs"}
    lock = audit.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 365}
    lifecycle = audit.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    _, archive = lifecycle.inputs["rules"]
    assert archive["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
    assert archive["expiration"] == {"days": 2557}
    statements = {
        s["Sid"]: s
        for s in policy(audit.one("aws:s3/bucketPolicy:BucketPolicy"), "policy")["Statement"]
    }
    assert set(statements) == {
        "TlsOnly",
        "CloudTrailAclCheck",
        "CloudTrailWrite",
        "ConfigBucketCheck",
        "ConfigWrite",
    }
    write = statements["CloudTrailWrite"]
    assert write["Resource"] == [f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*"]
    assert write["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}
    config = statements["ConfigWrite"]
    assert config["Resource"] == [f"arn:aws:s3:::{BUCKET}/config/AWSLogs/{ACCOUNT}/Config/*"]
    assert config["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_every_cis_filter_has_an_alarm_on_the_alarm_topic(audit):
    filters = {
        f.inputs["metricTransformation"]["name"]: f
        for f in audit.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    }
    alarms = audit.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert {a.inputs["metricName"] for a in alarms} == set(filters)
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [TOPIC]
        assert alarm.inputs["threshold"] == 1
        assert alarm.inputs["treatMissingData"] == "notBreaching"
    root = filters["mlplat-prod-root-account-usage"].inputs["pattern"]
    assert '$.userIdentity.type = "Root"' in root


def test_detectors(audit):
    features = {
        f.inputs["name"]: f.inputs
        for f in audit.of_type("aws:guardduty/detectorFeature:DetectorFeature")
    }
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "S3_DATA_EVENTS"}
    assert all(f["status"] == "ENABLED" for f in features.values())
    assert features["RUNTIME_MONITORING"]["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
    ]
    assert audit.one("aws:guardduty/detector:Detector").inputs["enable"] is True
    recorder = audit.one("aws:cfg/recorder:Recorder").inputs
    assert recorder["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}
    assert recorder["roleArn"].endswith(
        "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    )
    assert audit.one("aws:cfg/recorderStatus:RecorderStatus").inputs["isEnabled"] is True
    channel = audit.one("aws:cfg/deliveryChannel:DeliveryChannel").inputs
    assert (channel["s3BucketName"], channel["s3KeyPrefix"]) == (BUCKET, "config")
    standards = sorted(
        s.inputs["standardsArn"]
        for s in audit.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
    )
    assert standards == [
        f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{REGION}::standards/cis-aws-foundations-benchmark/v/3.0.0",
    ]
    analyzer = audit.one("aws:accessanalyzer/analyzer:Analyzer").inputs
    assert (analyzer["analyzerName"], analyzer["type"]) == ("mlplat-prod", "ACCOUNT")
