"""The audit trail and the account's detectors: who did what, who read or wrote which model
version, what every resource looked like when, and an alarm when someone does what CIS says
to watch.

Every environment is its own AWS account (the environment files must name distinct accounts),
so the account-wide services are the environment's: one multi-region CloudTrail and the AWS
Config recorder, both into one object-locked bucket; GuardDuty with its EKS protections;
Security Hub with the CIS and AWS foundational standards; an IAM Access Analyzer; the CIS
metric filters and alarms, notifying the environment's alarm topic (`components/notifications.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition
from components.bucket import ObjectLock, SecureBucket, SecureBucketArgs

# CIS AWS Foundations Benchmark (v3.0) section 4 metric filters: name -> CloudTrail pattern.
CIS_FILTERS: dict[str, str] = {
    "unauthorized-api-calls": (
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    ),
    "console-sign-in-without-mfa": (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    ),
    "root-account-usage": (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }'
    ),
    "iam-policy-changes": (
        "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || "
        "($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || "
        "($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || "
        "($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || "
        "($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || "
        "($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || "
        "($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || "
        "($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || "
        "($.eventName = DetachGroupPolicy)) }"
    ),
    "cloudtrail-changes": (
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
        "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
        "($.eventName = StopLogging) }"
    ),
    "console-authentication-failures": (
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    ),
    "kms-key-disabled-or-deleted": (
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
        "($.eventName = ScheduleKeyDeletion)) }"
    ),
    "s3-bucket-policy-changes": (
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
        "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
        "($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
        "($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"
    ),
    "config-changes": (
        "{ ($.eventSource = config.amazonaws.com) && "
        "(($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || "
        "($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }"
    ),
    "security-group-changes": (
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
        "($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || "
        "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
        "($.eventName = DeleteSecurityGroup) }"
    ),
    "network-acl-changes": (
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
        "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
        "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"
    ),
    "network-gateway-changes": (
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"
    ),
    "route-table-changes": (
        "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || "
        "($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
        "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }"
    ),
    "vpc-changes": (
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || "
        "($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || "
        "($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || "
        "($.eventName = RejectVpcPeeringConnection) }"
    ),
    "organizations-changes": (
        "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || "
        "($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || "
        "($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || "
        "($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || "
        "($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || "
        "($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || "
        "($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || "
        "($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || "
        "($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || "
        "($.eventName = UpdateOrganizationalUnit)) }"
    ),
}
METRIC_NAMESPACE = "mlplat/CISBenchmark"
CONFIG_PREFIX = "config"
# Security Hub standards, by ARN path (region-scoped, no account).
SECURITY_HUB_STANDARDS = (
    "standards/cis-aws-foundations-benchmark/v/3.0.0",
    "standards/aws-foundational-security-best-practices/v/1.0.0",
)
# GuardDuty protections: EKS audit logs, runtime monitoring with the agent managed as an EKS
# add-on, and S3 data events (reads of the registry from unusual places).
GUARDDUTY_FEATURES: dict[str, Sequence[str]] = {
    "EKS_AUDIT_LOGS": (),
    "RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
    "S3_DATA_EVENTS": (),
}


@component_args
class AuditArgs:
    name_prefix: str = arg("`mlplat-<env>`: the trail, role and analyzer names")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's home region (the trail records every region)")
    bucket_name: str = arg("the audit-log bucket: `mlplat-<env>-audit-logs-<account>`")
    storage_key_arn: pulumi.Input[str] = arg("the bucket's default SSE-KMS key")
    logs_key_arn: pulumi.Input[str] = arg("encrypts trail log files and its log group")
    access_log_bucket: pulumi.Input[str] = arg("where the audit bucket's access logs go")
    object_lock: ObjectLock = arg("retention of every log file version (WORM)")
    archive_after_days: int = arg("days until log files move to Glacier")
    retention_days: int = arg("days log files are kept")
    log_retention_days: int = arg("the trail's CloudWatch log group retention (CW-01)", default=365)
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = arg(
        "buckets whose object reads and writes the trail records (the model registry)"
    )
    topic_arn: pulumi.Input[str] = arg("the alarm topic (Notifications) every alarm notifies")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")


def trail_arn(args: AuditArgs) -> str:
    region, account = args.region, args.account_id
    region, account = args.region, args.account_id
    return f"arn:{partition(region)}:cloudtrail:{region}:{account}:trail/{args.name_prefix}"


def trail_bucket_statements(bucket_name: str, source_trail_arn: str, account_id: str) -> list:
    """CloudTrail may check the ACL and write under AWSLogs/<account>/, for this trail only."""
    bucket_arn = f"arn:{source_trail_arn.split(':')[1]}:s3:::{bucket_name}"
    trail = {"Service": "cloudtrail.amazonaws.com"}
    only_this_trail = {"StringEquals": {"aws:SourceArn": source_trail_arn}}
    return [
        docs.allow(
            ["s3:GetBucketAcl"],
            [bucket_arn],
            sid="CloudTrailAclCheck",
            principal=trail,
            conditions=only_this_trail,
        ),
        docs.allow(
            ["s3:PutObject"],
            [f"{bucket_arn}/AWSLogs/{account_id}/*"],
            sid="CloudTrailWrite",
            principal=trail,
            conditions=only_this_trail,
        ),
    ]


def config_bucket_statements(bucket_name: str, account_id: str, region: str) -> list:
    """AWS Config (through its service-linked role) may check the bucket and write snapshots
    and history under config/AWSLogs/<account>/, for this account only."""
    bucket_arn = f"arn:{partition(region)}:s3:::{bucket_name}"
    config = {"Service": "config.amazonaws.com"}
    this_account = {"StringEquals": {"aws:SourceAccount": account_id}}
    return [
        docs.allow(
            ["s3:GetBucketAcl", "s3:ListBucket"],
            [bucket_arn],
            sid="ConfigBucketCheck",
            principal=config,
            conditions=this_account,
        ),
        docs.allow(
            ["s3:PutObject"],
            [f"{bucket_arn}/{CONFIG_PREFIX}/AWSLogs/{account_id}/Config/*"],
            sid="ConfigWrite",
            principal=config,
            conditions=this_account,
        ),
    ]


def data_event_selectors(
    bucket_arns: Sequence[str],
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """Every management event, and object-level reads and writes of these buckets."""
    field = aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs
    return [
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="All management events",
            field_selectors=[field(field="eventCategory", equals=["Management"])],
        ),
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="Model registry object reads and writes",
            field_selectors=[
                field(field="eventCategory", equals=["Data"]),
                field(field="resources.type", equals=["AWS::S3::Object"]),
                field(field="resources.ARN", starts_withs=[f"{arn}/" for arn in bucket_arns]),
            ],
        ),
    ]


class Audit(pulumi.ComponentResource):
    """Audit bucket, trail and its log group, CIS filters and alarms, GuardDuty,
    Access Analyzer, Config recorder, Security Hub."""

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:audit:Audit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        arn = trail_arn(args)
        self.bucket = SecureBucket(
            f"{name}-audit-logs",
            SecureBucketArgs(
                bucket_name=args.bucket_name,
                account_id=args.account_id,
                data_class="audit-logs",
                kms_key_arn=args.storage_key_arn,
                access_log_bucket=args.access_log_bucket,
                noncurrent_version_days=args.retention_days,
                object_lock=args.object_lock,
                archive_after_days=args.archive_after_days,
                expire_after_days=args.retention_days,
                policy_statements=[
                    *trail_bucket_statements(args.bucket_name, arn, args.account_id),
                    *config_bucket_statements(args.bucket_name, args.account_id, args.region),
                ],
            ),
            opts=child,
        )
        self.log_group = log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail",
            name=f"/aws/cloudtrail/{args.name_prefix}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        delivery = aws.iam.Role(
            f"{name}-trail-delivery",
            name=f"{args.name_prefix}-cloudtrail-logs",
            assume_role_policy=docs.service_trust(
                "cloudtrail.amazonaws.com", account_id=args.account_id, source_arn=arn
            ),
            permissions_boundary=args.permissions_boundary_arn,
            opts=child,
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-trail-delivery",
            role=delivery.id,
            policy=log_group.arn.apply(
                lambda group: docs.to_json(
                    docs.document(
                        docs.allow(
                            ["logs:CreateLogStream", "logs:PutLogEvents"],
                            [f"{group}:log-stream:*"],
                            sid="DeliverToTheTrailLogGroup",
                        )
                    )
                )
            ),
            opts=child,
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.name_prefix,
            s3_bucket_name=self.bucket.bucket_name,
            kms_key_id=args.logs_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda group: f"{group}:*"),
            cloud_watch_logs_role_arn=delivery.arn,
            advanced_event_selectors=pulumi.Output.all(*args.data_event_bucket_arns).apply(
                data_event_selectors
            ),
            # CloudTrail checks its bucket policy and role when the trail is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket, delivery_policy]),
        )
        self._cis_alarms(name, args, log_group)
        self.detector = detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            opts=child,
        )
        for feature, additional in GUARDDUTY_FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{feature.lower().replace('_', '-')}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                        name=extra, status="ENABLED"
                    )
                    for extra in additional
                ]
                or None,
                opts=child,
            )
        self.analyzer = aws.accessanalyzer.Analyzer(
            f"{name}-access-analyzer",
            analyzer_name=args.name_prefix,
            type="ACCOUNT",
            opts=child,
        )
        self._config_recorder(name, args)
        hub = aws.securityhub.Account(
            f"{name}-security-hub",
            enable_default_standards=False,
            auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL",
            opts=child,
        )
        for standard in SECURITY_HUB_STANDARDS:
            aws.securityhub.StandardsSubscription(
                f"{name}-{standard.split('/')[1]}",
                standards_arn=f"arn:{partition(args.region)}:securityhub:{args.region}::{standard}",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[hub]),
            )
        self.register_outputs(
            {
                "trail_arn": self.trail.arn,
                "bucket_arn": self.bucket.arn,
                "log_group_arn": self.log_group.arn,
                "detector_id": self.detector.id,
                "analyzer_arn": self.analyzer.arn,
            }
        )

    def _config_recorder(self, name: str, args: AuditArgs) -> None:
        """Every supported resource type, global ones included, recorded through Config's
        service-linked role into the audit bucket."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.ServiceLinkedRole(
            f"{name}-config", aws_service_name="config.amazonaws.com", opts=child
        )
        recorder = aws.cfg.Recorder(
            f"{name}-config",
            name=args.name_prefix,
            role_arn=role.arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=True
            ),
            opts=child,
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-config",
            name=args.name_prefix,
            s3_bucket_name=self.bucket.bucket_name,
            s3_key_prefix=CONFIG_PREFIX,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency="TwentyFour_Hours"
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder, self.bucket]),
        )
        aws.cfg.RecorderStatus(
            f"{name}-config",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )

    def _cis_alarms(self, name: str, args: AuditArgs, log_group: aws.cloudwatch.LogGroup) -> None:
        """One metric filter and one alarm per CIS check: any match alarms within 5 minutes."""
        child = pulumi.ResourceOptions(parent=self)
        for check, pattern in CIS_FILTERS.items():
            metric = f"{args.name_prefix}-{check}"
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{name}-cis-{check}",
                name=metric,
                log_group_name=log_group.name,
                pattern=pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=METRIC_NAMESPACE, value="1"
                ),
                opts=child,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-cis-{check}",
                name=metric,
                alarm_description=f"CIS AWS Foundations 4.x: {check.replace('-', ' ')}",
                namespace=METRIC_NAMESPACE,
                metric_name=metric,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                actions_enabled=True,
                alarm_actions=[args.topic_arn],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[metric_filter]),
            )
