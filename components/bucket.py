"""One S3 bucket with every control the platform requires, so no component assembles them by hand:
SSE-KMS with the environment's key and bucket keys, versioning, all four public-access blocks,
ACLs disabled, a TLS-only policy, server access logging, lifecycle, and optional object lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args

LockMode = Literal["GOVERNANCE", "COMPLIANCE"]


@component_args
class ObjectLock:
    mode: LockMode
    days: int


@component_args
class SecureBucketArgs:
    bucket_name: str = arg("globally unique: `mlplat-<env>-<purpose>-<account>`")
    account_id: str = arg("the environment's account (the only source of log delivery)")
    data_class: str = arg("`mlplat.io/data-class` tag: models, access-logs, audit-logs, ...")
    kms_key_arn: pulumi.Input[str] = arg("the environment's storage key (SSE-KMS, bucket keys)")
    access_log_bucket: pulumi.Input[str] | None = arg(
        "bucket receiving server access logs; None makes this bucket the access-log target, "
        "which admits S3 log delivery from this account"
    )
    noncurrent_version_days: int = arg("days a replaced or deleted version is kept", default=90)
    object_lock: ObjectLock | None = arg(
        "default retention of every new version (WORM); set at creation only", default=None
    )
    policy_statements: Sequence[dict[str, Any]] = arg(
        "further bucket policy statements (the registry's promotion readers)", default=()
    )
    archive_after_days: int | None = arg(
        "days after which objects move to S3 Glacier Flexible Retrieval (audit logs)", default=None
    )
    expire_after_days: int | None = arg(
        "days after which objects expire (never before their object lock ends)", default=None
    )


def validate_secure_bucket_args(args: SecureBucketArgs) -> list[str]:
    problems = []
    if not 3 <= len(args.bucket_name) <= 63 or args.bucket_name != args.bucket_name.lower():
        problems.append(
            f"bucket_name: got {args.bucket_name!r}; expected 3-63 lowercase characters"
        )
    if args.noncurrent_version_days < 1:
        problems.append(
            f"noncurrent_version_days: got {args.noncurrent_version_days}; expected >= 1"
        )
    if args.object_lock and args.object_lock.days < 1:
        problems.append(f"object_lock.days: got {args.object_lock.days}; expected >= 1")
    floor = max(args.archive_after_days or 0, args.object_lock.days if args.object_lock else 0)
    if args.expire_after_days is not None and args.expire_after_days <= floor:
        problems.append(
            f"expire_after_days: got {args.expire_after_days}; expected more than the archive "
            f"and object lock days ({floor})"
        )
    return problems


def bucket_policy(
    bucket_arn: str, *, account_id: str, log_target: bool, extra: Sequence[dict[str, Any]] = ()
) -> str:
    """TLS only; an access-log target also admits S3 log delivery from this account."""
    statements = [
        docs.deny(
            ["s3:*"],
            [bucket_arn, f"{bucket_arn}/*"],
            sid="TlsOnly",
            principal={"AWS": "*"},
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        )
    ]
    if log_target:
        statements.append(
            docs.allow(
                ["s3:PutObject"],
                [f"{bucket_arn}/*"],
                sid="S3AccessLogDeliveryOfThisAccount",
                principal={"Service": "logging.s3.amazonaws.com"},
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            )
        )
    return docs.to_json(docs.document(*statements, *extra))


class SecureBucket(pulumi.ComponentResource):
    """A bucket and its side resources; `protect` comes from the options (inherited)."""

    def __init__(
        self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:storage:SecureBucket", name, None, opts)
        problems = validate_secure_bucket_args(args)
        if problems:
            raise ValueError(f"SecureBucket {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            object_lock_enabled=args.object_lock is not None,
            force_destroy=False,
            tags={"mlplat.io/data-class": args.data_class},
            opts=child,
        )
        after_bucket = pulumi.ResourceOptions(parent=self)
        bucket_id = self.bucket.id
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after_bucket,
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=after_bucket,
        )
        versioning = aws.s3.BucketVersioning(
            name,
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=after_bucket,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=after_bucket,
        )
        aws.s3.BucketPolicy(
            name,
            bucket=bucket_id,
            policy=self.bucket.arn.apply(
                lambda arn: bucket_policy(
                    arn,
                    account_id=args.account_id,
                    log_target=args.access_log_bucket is None,
                    extra=args.policy_statements,
                )
            ),
            opts=after_bucket,
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                name,
                bucket=bucket_id,
                target_bucket=args.access_log_bucket,
                target_prefix=f"{args.bucket_name}/",
                opts=after_bucket,
            )
        # Lifecycle rules act on versions: S3 refuses them before versioning is set.
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-and-abort-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                ),
                *self._retention_rules(args),
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.object_lock is not None:
            aws.s3.BucketObjectLockConfiguration(
                name,
                bucket=bucket_id,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock.mode, days=args.object_lock.days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

    @staticmethod
    def _retention_rules(
        args: SecureBucketArgs,
    ) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        """Archive, then expire, current objects (audit logs kept years, rarely read)."""
        if args.archive_after_days is None and args.expire_after_days is None:
            return []
        rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="archive-then-expire",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=args.archive_after_days, storage_class="GLACIER"
                )
            ]
            if args.archive_after_days is not None
            else None,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                days=args.expire_after_days
            )
            if args.expire_after_days is not None
            else None,
        )
        return [rule]
