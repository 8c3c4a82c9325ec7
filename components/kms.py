"""Per-purpose customer-managed KMS keys for one environment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition

KeyPurpose = Literal["cluster", "storage", "logs"]
KEY_PURPOSES: tuple[KeyPurpose, ...] = ("cluster", "storage", "logs")

_DESCRIPTIONS: dict[KeyPurpose, str] = {
    "cluster": "EKS secrets envelope encryption",
    "storage": "S3 buckets, EBS volumes and RDS storage",
    "logs": "CloudWatch Logs log groups, CloudTrail log files and the alarm topic",
}

# Services that publish to the environment's encrypted alarm topic: CloudWatch alarms, AWS
# Budgets, Cost Anomaly Detection.
TOPIC_PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com")

# The longest window KMS allows: a key scheduled for deletion by mistake can be saved for a month.
DELETION_WINDOW_DAYS = 30
ROTATION_PERIOD_DAYS = 365


@component_args
class KmsArgs:
    environment: str = arg("environment name, in every key's description")
    alias_prefix: str = arg("every alias is `<alias_prefix><purpose>` (stacks/naming.py)")
    account_id: str = arg("the only account the key policies trust")
    region: str = arg("region of the CloudWatch Logs service principal")
    purposes: Sequence[KeyPurpose] = arg(
        "one key per purpose: `cluster`, `storage`, `logs`", default=KEY_PURPOSES
    )
    volume_service_role_arns: Sequence[str] = arg(
        "service-linked roles that attach encrypted volumes for AWS (Auto Scaling for EKS nodes)",
        default=(),
    )
    s3_reader_arns: Sequence[str] = arg(
        "roles of other accounts that may decrypt storage-key objects through S3 (promotion)",
        default=(),
    )


def validate_kms_args(args: KmsArgs) -> list[str]:
    problems = []
    unknown = sorted(set(args.purposes) - set(KEY_PURPOSES))
    if unknown:
        problems.append(f"purposes: got {unknown}; expected some of {list(KEY_PURPOSES)}")
    if len(set(args.purposes)) != len(args.purposes):
        problems.append(f"purposes: got {list(args.purposes)}; expected each purpose once")
    if not (args.account_id.isdigit() and len(args.account_id) == 12):
        problems.append(f"account_id: got {args.account_id!r}; expected 12 digits")
    # KMS refuses names outside `alias/`, and keeps `alias/aws/` for AWS-managed keys.
    if not re.fullmatch(r"alias/[\w/-]+", args.alias_prefix) or args.alias_prefix.startswith(
        "alias/aws/"
    ):
        problems.append(
            f"alias_prefix: got {args.alias_prefix!r}; expected `alias/` then letters, digits, "
            "/ _ -, not `alias/aws/` (AWS's own)"
        )
    return problems


def key_policy(
    purpose: KeyPurpose,
    *,
    account_id: str,
    region: str,
    volume_service_role_arns: Sequence[str] = (),
    s3_reader_arns: Sequence[str] = (),
) -> dict:
    """The explicit key policy: the environment's own account administers the key through IAM;
    a service principal is added only where the service itself must use the key."""
    statements = [
        docs.allow(
            ["kms:*"],
            ["*"],
            sid="AccountAdministersThroughIam",
            principal=docs.account_root(account_id, partition(region)),
        )
    ]
    if purpose == "logs":
        logs = {"Service": f"logs.{region}.amazonaws.com"}
        statements += [
            docs.allow(
                ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                ["*"],
                sid="CloudWatchLogsOfThisAccountOnly",
                principal=logs,
                # The key is a String; StringLike, not ArnLike (which parliament rightly flags).
                conditions={
                    "StringLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition(region)}:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            ),
            # DescribeKey carries no encryption context, so it cannot share that condition.
            docs.allow(
                ["kms:DescribeKey"],
                ["*"],
                sid="CloudWatchLogsDescribeKey",
                principal=logs,
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
            docs.allow(
                ["kms:GenerateDataKey*"],
                ["*"],
                sid="CloudTrailOfThisAccountEncryptsLogFiles",
                principal={"Service": "cloudtrail.amazonaws.com"},
                conditions={
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{partition(region)}:cloudtrail:{region}:{account_id}:trail/*"
                        )
                    },
                },
            ),
            docs.allow(
                ["kms:DescribeKey"],
                ["*"],
                sid="CloudTrailDescribeKey",
                principal={"Service": "cloudtrail.amazonaws.com"},
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
            # The alarm topic is encrypted with this key: the services publishing to it must
            # be able to encrypt the messages.
            docs.allow(
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                ["*"],
                sid="AlarmPublishersOfThisAccount",
                principal={"Service": sorted(TOPIC_PUBLISHERS)},
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
        ]
    if purpose == "storage":
        # S3 server access logs and AWS Config snapshots land SSE-KMS encrypted with the
        # bucket's default key.
        statements.append(
            docs.allow(
                ["kms:GenerateDataKey"],
                ["*"],
                sid="LogDeliveryOfThisAccount",
                principal={"Service": ["config.amazonaws.com", "logging.s3.amazonaws.com"]},
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            )
        )
    if purpose == "storage" and s3_reader_arns:
        # Account roots narrowed to the named roles: KMS refuses principals that do not exist.
        statements.append(
            docs.allow(
                ["kms:Decrypt"],
                ["*"],
                sid="PromotionDecryptsThroughS3",
                principal={
                    "AWS": sorted(
                        {
                            docs.account_root(arn.split(":")[4], arn.split(":")[1])["AWS"]
                            for arn in s3_reader_arns
                        }
                    )
                },
                conditions={
                    "ArnEquals": {"aws:PrincipalArn": sorted(s3_reader_arns)},
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                },
            )
        )
    if purpose == "storage" and volume_service_role_arns:
        users = {"AWS": sorted(volume_service_role_arns)}
        via_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}
        statements += [
            docs.allow(
                [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                ["*"],
                sid="EncryptedVolumesThroughEc2",
                principal=users,
                conditions=via_ec2,
            ),
            docs.allow(
                ["kms:CreateGrant"],
                ["*"],
                sid="GrantsForAwsResourcesOnly",
                principal=users,
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    return docs.document(*statements)


class Kms(pulumi.ComponentResource):
    """Symmetric keys with yearly rotation, a 30-day deletion window and an explicit policy.

    Deletion protection comes from the component's options (`protect=True` is inherited by every
    key and alias), set per environment by the stack.
    """

    def __init__(self, name: str, args: KmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:kms:Kms", name, None, opts)
        problems = validate_kms_args(args)
        if problems:
            raise ValueError(f"Kms {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        self.keys: dict[KeyPurpose, aws.kms.Key] = {}
        self.aliases: dict[KeyPurpose, aws.kms.Alias] = {}
        for purpose in args.purposes:
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"mlplat {args.environment}: {_DESCRIPTIONS[purpose]}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=ROTATION_PERIOD_DAYS,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                is_enabled=True,
                multi_region=False,
                policy=docs.to_json(
                    key_policy(
                        purpose,
                        account_id=args.account_id,
                        region=args.region,
                        volume_service_role_arns=args.volume_service_role_arns,
                        s3_reader_arns=args.s3_reader_arns,
                    )
                ),
                tags={"mlplat.io/key-purpose": purpose},
                opts=child,
            )
            self.keys[purpose] = key
            self.aliases[purpose] = aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"{args.alias_prefix}{purpose}",
                target_key_id=key.key_id,
                opts=child,
            )
        self.key_arns = {purpose: key.arn for purpose, key in self.keys.items()}
        self.register_outputs({"key_arns": self.key_arns})
