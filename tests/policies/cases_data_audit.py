"""RDS, CloudTrail and detective-service rule fixtures."""

from components.audit import CIS_FILTERS
from tests.policies.cases import (
    ACCOUNT,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Case,
    StackCase,
    changed,
    resource,
)

KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"
DB = "aws:rds/instance:Instance"
INSTANCE = {
    "engine": "postgres",
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "mlflow-final",
    "backupRetentionPeriod": 14,
    "multiAz": True,
    "iamDatabaseAuthenticationEnabled": True,
    "manageMasterUserPassword": True,
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "autoMinorVersionUpgrade": True,
}
PARAMETER_GROUP = {"family": "postgres17", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}
TRAIL_TYPE = "aws:cloudtrail/trail:Trail"
TRAIL = {
    "isMultiRegionTrail": True,
    "enableLogging": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "kmsKeyId": KEY,
    "cloudWatchLogsGroupArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:trail:*",
    "cloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/trail",
    "advancedEventSelectors": [
        {
            "name": "management",
            "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}],
        },
        {
            "name": "models",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            ],
        },
    ],
}


NOT_AWS = [resource("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "team-a"}})]
NO_AUDIT = [resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.20.0.0/16"})]


def recorder_status(enabled):
    return resource(
        "aws:cfg/recorderStatus:RecorderStatus", "rec", {"name": "rec", "isEnabled": enabled}
    )


DETECTORS = [
    resource("aws:securityhub/account:Account", "hub", {"autoEnableControls": True}),
    resource("aws:accessanalyzer/analyzer:Analyzer", "analyzer", {"type": "ACCOUNT"}),
    recorder_status(True),
]
DETECTOR_URN = "urn:pulumi:staging::mlplat::aws:guardduty/detector:Detector::detector"


def guardduty(runtime="ENABLED"):
    feature = "aws:guardduty/detectorFeature:DetectorFeature"
    return [
        resource("aws:guardduty/detector:Detector", "detector", {"enable": True}),
        resource(
            feature,
            "audit",
            {"name": "EKS_AUDIT_LOGS", "status": "ENABLED"},
            deps={"detectorId": [DETECTOR_URN]},
        ),
        resource(
            feature,
            "runtime",
            {"name": "RUNTIME_MONITORING", "status": runtime},
            deps={"detectorId": [DETECTOR_URN]},
        ),
    ]


def cis_stack(drop="", silent="", unknown_pattern=""):
    """A filter and an alarm per CIS check, as the Audit component declares them."""
    stack = []
    for check, pattern in CIS_FILTERS.items():
        if check == drop:
            continue
        metric = {"name": f"mlplat-staging-{check}", "namespace": "mlplat/CISBenchmark"}
        stack.append(
            resource(
                "aws:cloudwatch/logMetricFilter:LogMetricFilter",
                f"filter-{check}",
                {
                    "pattern": UNKNOWN_STRING if check == unknown_pattern else pattern,
                    "metricTransformation": {**metric, "value": "1"},
                },
            )
        )
        stack.append(
            resource(
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                f"alarm-{check}",
                {
                    "namespace": metric["namespace"],
                    "metricName": metric["name"],
                    "alarmActions": [] if check == silent else ["arn:aws:sns:eu-west-1:1:alarms"],
                },
            )
        )
    return stack


CASES = [
    Case(
        rule="aws-rds-not-public",
        type=DB,
        passing=INSTANCE,
        failing=[
            (
                "public",
                changed(INSTANCE, publiclyAccessible=True),
                ["publiclyAccessible is true: the database gets a public DNS name and IP"],
            )
        ],
        not_applicable=("aws:rds/cluster:Cluster", INSTANCE),
        unknown=changed(INSTANCE, publiclyAccessible=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-rds-encrypted-cmk",
        type=DB,
        passing=INSTANCE,
        failing=[
            ("plain", changed(INSTANCE, storageEncrypted=None), ["storageEncrypted is not true"]),
            (
                "aws key",
                changed(INSTANCE, kmsKeyId=None),
                ["encrypted with the AWS-managed RDS key, not the environment's key"],
            ),
        ],
        not_applicable=("aws:rds/clusterInstance:ClusterInstance", {}),
        unknown=changed(INSTANCE, storageEncrypted=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-rds-deletion-protection",
        type=DB,
        passing=INSTANCE,
        failing=[
            (
                "nothing kept",
                changed(INSTANCE, deletionProtection=False, skipFinalSnapshot=True),
                [
                    "deletionProtection is not true",
                    "skipFinalSnapshot is true: deleting the database keeps nothing",
                ],
            ),
            (
                "no snapshot name",
                changed(INSTANCE, finalSnapshotIdentifier=None),
                ["no finalSnapshotIdentifier: the provider cannot take the final snapshot"],
            ),
        ],
        not_applicable=("aws:rds/clusterInstance:ClusterInstance", {}),
        unknown=changed(INSTANCE, deletionProtection=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-rds-backups-multi-az",
        type=DB,
        passing=INSTANCE,
        failing=[
            (
                "one day, one AZ",
                changed(INSTANCE, backupRetentionPeriod=1, multiAz=False),
                [
                    "backupRetentionPeriod is 1; at least 7 required",
                    "multiAz is not true: one AZ failure takes the database down",
                ],
            )
        ],
        not_applicable=("aws:rds/cluster:Cluster", {}),
        unknown=changed(INSTANCE, backupRetentionPeriod=UNKNOWN_NUMBER),
    ),
    Case(
        rule="aws-rds-iam-auth-managed-password",
        type=DB,
        passing=INSTANCE,
        failing=[
            (
                "literal password",
                changed(INSTANCE, password="hunter2", manageMasterUserPassword=None),
                ["master password is set in the program (it lands in state); let RDS manage it"],
            ),
            (
                "no iam auth",
                changed(INSTANCE, iamDatabaseAuthenticationEnabled=False),
                ["IAM database authentication is off"],
            ),
        ],
        not_applicable=("aws:rds/clusterInstance:ClusterInstance", {}),
        unknown=changed(INSTANCE, iamDatabaseAuthenticationEnabled=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-rds-logs-and-upgrades",
        type=DB,
        passing=INSTANCE,
        failing=[
            (
                "silent and stale",
                changed(INSTANCE, enabledCloudwatchLogsExports=None, autoMinorVersionUpgrade=False),
                [
                    "no enabledCloudwatchLogsExports: database logs never reach CloudWatch",
                    "autoMinorVersionUpgrade is false: security patches wait for a human",
                ],
            )
        ],
        not_applicable=("aws:rds/parameterGroup:ParameterGroup", PARAMETER_GROUP),
        unknown=changed(INSTANCE, enabledCloudwatchLogsExports=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-rds-parameter-group-force-ssl",
        type="aws:rds/parameterGroup:ParameterGroup",
        passing=PARAMETER_GROUP,
        failing=[
            (
                "not forced",
                changed(PARAMETER_GROUP, parameters=[]),
                ["rds.force_ssl is unset: plaintext connections are accepted"],
            ),
            (
                "zero",
                changed(PARAMETER_GROUP, parameters=[{"name": "rds.force_ssl", "value": "0"}]),
                ["rds.force_ssl is 0: plaintext connections are accepted"],
            ),
        ],
        not_applicable=("aws:rds/parameterGroup:ParameterGroup", {"family": "mysql8.0"}),
        unknown=changed(
            PARAMETER_GROUP, parameters=[{"name": "rds.force_ssl", "value": UNKNOWN_STRING}]
        ),
    ),
    Case(
        rule="aws-cloudtrail-trail-multi-region",
        type=TRAIL_TYPE,
        passing=TRAIL,
        failing=[
            (
                "single region, off",
                changed(TRAIL, isMultiRegionTrail=False, enableLogging=False),
                [
                    "isMultiRegionTrail is not true",
                    "enableLogging is false: the trail records nothing",
                ],
            ),
            (
                "write only",
                changed(TRAIL, eventSelectors=[{"readWriteType": "WriteOnly"}]),
                ["eventSelectors[0] logs only WriteOnly events"],
            ),
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown=changed(TRAIL, isMultiRegionTrail=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-cloudtrail-log-validation",
        type=TRAIL_TYPE,
        passing=TRAIL,
        failing=[
            (
                "off",
                changed(TRAIL, enableLogFileValidation=None),
                ["enableLogFileValidation is not true: edited or deleted log files go unnoticed"],
            )
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown=changed(TRAIL, enableLogFileValidation=UNKNOWN_BOOL),
    ),
    Case(
        rule="aws-cloudtrail-kms",
        type=TRAIL_TYPE,
        passing=TRAIL,
        failing=[
            (
                "no key",
                changed(TRAIL, kmsKeyId=None),
                ["no kmsKeyId: log files are encrypted only with S3-managed keys"],
            )
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown=changed(TRAIL, kmsKeyId=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-cloudtrail-cloudwatch-delivery",
        type=TRAIL_TYPE,
        passing=TRAIL,
        failing=[
            (
                "no role",
                changed(TRAIL, cloudWatchLogsRoleArn=None),
                ["not delivered to CloudWatch Logs: no alarm can fire on its events"],
            )
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown=changed(TRAIL, cloudWatchLogsGroupArn=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-cloudtrail-s3-data-events",
        type=TRAIL_TYPE,
        passing=TRAIL,
        failing=[
            (
                "management only",
                changed(TRAIL, advancedEventSelectors=TRAIL["advancedEventSelectors"][:1]),
                ["no S3 object data events: reads and writes of models leave no trace"],
            ),
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown=changed(TRAIL, advancedEventSelectors=UNKNOWN_STRING),
    ),
    Case(
        rule="aws-guardduty-eks-protection",
        type="aws:guardduty/detectorFeature:DetectorFeature",
        passing={"detectorId": "d", "name": "EKS_AUDIT_LOGS", "status": "ENABLED"},
        failing=[
            (
                "audit off",
                {"name": "RUNTIME_MONITORING", "status": "DISABLED"},
                ["RUNTIME_MONITORING is DISABLED, not ENABLED"],
            ),
            (
                "detector off",
                {"enable": False},
                ["the detector is disabled"],
                "aws:guardduty/detector:Detector",
            ),
        ],
        not_applicable=(
            "aws:guardduty/detectorFeature:DetectorFeature",
            {"name": "S3_DATA_EVENTS", "status": "ENABLED"},
        ),
        unknown={"name": "EKS_AUDIT_LOGS", "status": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-config-recorder-all-resources",
        type="aws:cfg/recorder:Recorder",
        passing={"recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}},
        failing=[
            (
                "partial",
                {"recordingGroup": {"allSupported": False}},
                ["recordingGroup.allSupported is false: unlisted resource types change unrecorded"],
            )
        ],
        not_applicable=("aws:cloudwatch/logGroup:LogGroup", {}),
        unknown={"recordingGroup": {"allSupported": UNKNOWN_BOOL}},
    ),
    StackCase(
        rule="aws-cloudtrail-present",
        passing=[resource(TRAIL_TYPE, "trail", {"isMultiRegionTrail": True})],
        failing=[
            (
                "absent",
                NO_AUDIT,
                [
                    (
                        "",
                        "no multi-region CloudTrail trail: the account's API activity is not recorded",
                    )
                ],
            ),
            (
                "one region",
                [resource(TRAIL_TYPE, "trail", {"isMultiRegionTrail": False})],
                [
                    (
                        "",
                        "no multi-region CloudTrail trail: the account's API activity is not recorded",
                    )
                ],
            ),
        ],
        not_applicable=NOT_AWS,
        unknown=[resource(TRAIL_TYPE, "trail", {"isMultiRegionTrail": UNKNOWN_BOOL})],
    ),
    StackCase(
        rule="aws-guardduty-present",
        passing=guardduty(),
        failing=[
            (
                "absent",
                NO_AUDIT,
                [("", "no GuardDuty detector: threats to the account and cluster go undetected")],
            ),
            (
                "runtime off",
                guardduty(runtime="DISABLED"),
                [("detector", "RUNTIME_MONITORING is not enabled on this detector")],
            ),
        ],
        not_applicable=NOT_AWS,
        unknown=guardduty(runtime=UNKNOWN_STRING),
    ),
    StackCase(
        rule="aws-account-detectors-present",
        passing=DETECTORS,
        failing=[
            (
                "absent",
                NO_AUDIT,
                [
                    ("", "no Security Hub in the account"),
                    ("", "no IAM Access Analyzer in the account"),
                    ("", "no AWS Config recorder is recording: resource changes go unrecorded"),
                ],
            ),
            (
                "recorder stopped",
                [*DETECTORS[:2], recorder_status(False)],
                [("", "no AWS Config recorder is recording: resource changes go unrecorded")],
            ),
        ],
        not_applicable=NOT_AWS,
        unknown=[*DETECTORS[:2], recorder_status(UNKNOWN_BOOL)],
    ),
    StackCase(
        rule="aws-cloudwatch-cis-alarms",
        passing=cis_stack(),
        failing=[
            (
                "no root filter",
                cis_stack(drop="root-account-usage"),
                [("", "no metric filter for CIS check 'root account usage'")],
            ),
            (
                "silent alarm",
                cis_stack(silent="vpc-changes"),
                [("filter-vpc-changes", "no alarm with actions on the 'VPC changes' metric")],
            ),
        ],
        not_applicable=NOT_AWS,
        unknown=cis_stack(unknown_pattern="vpc-changes"),
    ),
]
