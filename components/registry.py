"""The model registry's storage: one versioned, encrypted, access-logged bucket per environment,
object-locked in staging (governance) and prod (compliance), and the only way to reach it:
`grant_read` / `grant_write`, which scope a role to one prefix and add the matching KMS use."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition
from components.bucket import ObjectLock, SecureBucket, SecureBucketArgs

# What has passed review in an environment; the only prefix another environment may read.
APPROVED_PREFIX = "approved/"


@component_args
class ModelRegistryArgs:
    bucket_name: str = arg("globally unique: `mlplat-<env>-models-<account>`")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region (KMS use only through S3 there)")
    storage_key_arn: pulumi.Input[str] = arg("the environment's storage key")
    access_log_bucket: pulumi.Input[str] = arg("the environment's access-log bucket")
    noncurrent_version_days: int = arg("days a superseded model version is kept")
    object_lock: ObjectLock | None = arg("WORM retention of every version; None in dev")
    promotion_reader_arns: Sequence[str] = arg(
        "promotion roles of the environments promoting from this one: read `approved/` only",
        default=(),
    )


def read_statements(bucket_arn: str, key_arn: str, prefix: str, region: str) -> list[dict]:
    objects = f"{bucket_arn}/{prefix}*"
    return [
        docs.allow(
            ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"],
            [objects],
            sid="ReadModels",
        ),
        docs.allow(
            ["s3:ListBucket", "s3:ListBucketVersions"],
            [bucket_arn],
            sid="ListOwnPrefix",
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        ),
        docs.allow(
            ["kms:Decrypt"],
            [key_arn],
            sid="DecryptThroughS3",
            conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        ),
    ]


def write_statements(bucket_arn: str, key_arn: str, prefix: str, region: str) -> list[dict]:
    return [
        docs.allow(
            ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging"],
            [f"{bucket_arn}/{prefix}*"],
            sid="WriteModels",
        ),
        docs.allow(
            ["kms:GenerateDataKey"],
            [key_arn],
            sid="EncryptThroughS3",
            conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        ),
    ]


def promotion_statements(bucket_arn: str, readers: Sequence[str]) -> list[dict]:
    """Bucket policy: the named promotion roles of other accounts read `approved/`, nothing else.

    The principal is each account's root narrowed by `aws:PrincipalArn`: S3 refuses a policy
    naming a role that does not exist yet, and the target environment deploys after this one.
    """
    if not readers:
        return []
    accounts = sorted(
        {docs.account_root(arn.split(":")[4], arn.split(":")[1])["AWS"] for arn in readers}
    )
    only_them = {"ArnEquals": {"aws:PrincipalArn": sorted(readers)}}
    return [
        docs.allow(
            ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"],
            [f"{bucket_arn}/{APPROVED_PREFIX}*"],
            sid="PromotionReadsApproved",
            principal={"AWS": accounts},
            conditions=only_them,
        ),
        docs.allow(
            ["s3:ListBucket"],
            [bucket_arn],
            sid="PromotionListsApproved",
            principal={"AWS": accounts},
            conditions={**only_them, "StringLike": {"s3:prefix": [f"{APPROVED_PREFIX}*"]}},
        ),
    ]


def _valid_prefix(prefix: str) -> str:
    if not prefix or not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
        raise ValueError(f"prefix: got {prefix!r}; expected a path like 'team-a/' (no wildcard)")
    return prefix


class ModelRegistry(pulumi.ComponentResource):
    """The registry bucket; protected in staging and prod through the options."""

    def __init__(
        self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:registry:ModelRegistry", name, None, opts)
        self._name, self._args = name, args
        self.storage = SecureBucket(
            f"{name}-models",
            SecureBucketArgs(
                bucket_name=args.bucket_name,
                account_id=args.account_id,
                data_class="models",
                kms_key_arn=args.storage_key_arn,
                access_log_bucket=args.access_log_bucket,
                noncurrent_version_days=args.noncurrent_version_days,
                object_lock=args.object_lock,
                policy_statements=promotion_statements(
                    f"arn:{partition(args.region)}:s3:::{args.bucket_name}",
                    args.promotion_reader_arns,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = self.storage.bucket_name
        self.bucket_arn = self.storage.arn
        self.register_outputs({"bucket": self.bucket_name, "arn": self.bucket_arn})

    def grant_read(self, role: aws.iam.Role, prefix: str) -> aws.iam.RolePolicy:
        return self._grant(role, _valid_prefix(prefix), "read", read_statements)

    def grant_write(self, role: aws.iam.Role, prefix: str) -> aws.iam.RolePolicy:
        """Write includes read: a writer checks what it is about to supersede."""
        return self._grant(
            role,
            _valid_prefix(prefix),
            "write",
            lambda *scope: read_statements(*scope) + write_statements(*scope),
        )

    def _grant(
        self,
        role: aws.iam.Role,
        prefix: str,
        access: str,
        statements: Callable[[str, str, str, str], list[dict]],
    ) -> aws.iam.RolePolicy:
        label = prefix.strip("/").replace("/", "-")
        policy = pulumi.Output.all(self.bucket_arn, self._args.storage_key_arn).apply(
            lambda arns: docs.to_json(
                docs.document(*statements(arns[0], arns[1], prefix, self._args.region))
            )
        )
        return aws.iam.RolePolicy(
            f"{self._name}-{access}-{label}-{role.pulumi_resource_name}",
            role=role.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
