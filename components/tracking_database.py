"""MLflow's backend store: RDS PostgreSQL in the intra subnets (no route out of the VPC), reachable
only from the cluster's security group, encrypted with the storage key, TLS forced, IAM
authentication on, the master password generated and held by Secrets Manager (never in state),
logs into pre-created encrypted log groups, and a final snapshot whenever it is deleted."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import aws_managed_policy

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
# AWS's current RSA CA for RDS; clients verify the server against it.
CA_CERT = "rds-ca-rsa2048-g1"
ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"


@component_args
class TrackingDatabaseArgs:
    identifier: str = arg("instance identifier and name prefix: `mlplat-<env>-mlflow`")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region: the partition of its ARNs")
    engine_version: str = arg("PostgreSQL major version, from the catalog (minors are AWS's)")
    instance_class: str = arg("RDS instance class, e.g. db.t4g.medium")
    allocated_storage_gb: int = arg("initial gp3 storage; autoscaling up to 4x")
    backup_retention_days: int = arg("automated backups kept (7-35; RDS-04)", default=7)
    multi_az: bool = arg("a standby in a second AZ (RDS-04: prod)", default=True)
    vpc_id: pulumi.Input[str] = arg("the environment's VPC")
    subnet_ids: Sequence[pulumi.Input[str]] = arg("intra subnets: no route out of the VPC")
    client_security_group_id: pulumi.Input[str] = arg("the only group allowed to connect")
    storage_key_arn: pulumi.Input[str] = arg("KMS key of storage, snapshots, insights, secret")
    logs_key_arn: pulumi.Input[str] = arg("KMS key of the exported log groups")
    log_retention_days: int = arg("retention of the exported logs (CW-01)", default=365)
    permissions_boundary_arn: pulumi.Input[str] = arg("boundary of the monitoring role")
    protect: bool = arg(
        "RDS deletion protection (Pulumi `protect` comes from the options)", default=True
    )


def validate_tracking_database_args(args: TrackingDatabaseArgs) -> list[str]:
    problems = []
    if not 7 <= args.backup_retention_days <= 35:
        problems.append(
            f"backup_retention_days: got {args.backup_retention_days}; expected 7 to 35"
        )
    if args.allocated_storage_gb < 20:
        problems.append(f"allocated_storage_gb: got {args.allocated_storage_gb}; expected >= 20")
    if not args.engine_version.isdigit():
        problems.append(
            f"engine_version: got {args.engine_version!r}; expected a major version only, like "
            "'17' (minor upgrades are automatic: a pinned minor fails the next up after one)"
        )
    return problems


class TrackingDatabase(pulumi.ComponentResource):
    """Subnet group, security group, parameter group, log groups, monitoring role, instance."""

    def __init__(
        self, name: str, args: TrackingDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:mlflow:TrackingDatabase", name, None, opts)
        problems = validate_tracking_database_args(args)
        if problems:
            raise ValueError(f"TrackingDatabase {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        ident = args.identifier
        subnets = aws.rds.SubnetGroup(
            name,
            name=ident,
            description=f"{ident}: intra subnets",
            subnet_ids=list(args.subnet_ids),
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            name,
            name=ident,
            vpc_id=args.vpc_id,
            description=f"{ident}: PostgreSQL from the cluster only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="PostgreSQL from the EKS cluster security group",
                    protocol="tcp",
                    from_port=PORT,
                    to_port=PORT,
                    security_groups=[args.client_security_group_id],
                )
            ],
            egress=[],
            tags={"Name": ident},
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            name,
            name=ident,
            family=f"postgres{args.engine_version.split('.')[0]}",
            description=f"{ident}: TLS only, connections and DDL logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(
                    name="rds.force_ssl", value="1", apply_method="pending-reboot"
                ),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_disconnections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_statement", value="ddl"),
            ],
            opts=child,
        )
        # Created here so the groups are encrypted and expire; RDS would create them bare.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-{export}",
                name=f"/aws/rds/instance/{ident}/{export}",
                kms_key_id=args.logs_key_arn,
                retention_in_days=args.log_retention_days,
                opts=child,
            )
            for export in LOG_EXPORTS
        ]
        monitoring = aws.iam.Role(
            f"{name}-monitoring",
            name=f"{ident}-monitoring",
            description=f"{ident}: RDS enhanced monitoring",
            assume_role_policy=docs.service_trust_of_account(
                "monitoring.rds.amazonaws.com", args.account_id
            ),
            permissions_boundary=args.permissions_boundary_arn,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring.name,
            policy_arn=aws_managed_policy(args.region, ENHANCED_MONITORING_POLICY),
            opts=child,
        )
        self.instance = aws.rds.Instance(
            name,
            identifier=ident,
            engine="postgres",
            engine_version=args.engine_version,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            instance_class=args.instance_class,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.allocated_storage_gb * 4,
            storage_encrypted=True,
            kms_key_id=args.storage_key_arn,
            db_name="mlflow",
            username="mlflow_admin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.storage_key_arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            ca_cert_identifier=CA_CERT,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=args.protect,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{ident}-final",
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.storage_key_arn,
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=monitoring.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*log_groups, attachment]),
        )
        self.endpoint = self.instance.address
        # The RDS-managed secret (username and password); readers are granted it by ARN.
        self.secret_arn = self.instance.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.register_outputs({"endpoint": self.endpoint, "secret_arn": self.secret_arn})
