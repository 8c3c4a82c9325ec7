"""`mlplat bootstrap ENV`: what must exist before the first `pulumi up` of an environment, made
with boto3 in the environment's own account, idempotently: the Pulumi state bucket and the KMS
key that encrypts the stack's secrets.

It refuses every account but the environment's, so credentials for the wrong account change
nothing. A second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from components.deploy_role import STATE_KEY_TAG, SUBJECT_CLAIMS
from stacks.environment import EnvironmentSpec

DELETION_WINDOW_DAYS = 30


class BootstrapError(Exception):
    """Bootstrap cannot or must not go on; the message says why."""


@dataclass
class Outcome:
    """What a run did: each step `created`, `updated` or `unchanged`."""

    steps: list[tuple[str, str]] = field(default_factory=list)

    def note(self, what: str, status: str) -> None:
        self.steps.append((what, status))

    @property
    def changed(self) -> bool:
        return any(status != "unchanged" for _, status in self.steps)


def key_alias(spec: EnvironmentSpec) -> str:
    return f"alias/{spec.name_prefix}-pulumi-state"


def caller_account(session: boto3.Session) -> str:
    try:
        return str(session.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise BootstrapError(
            f"cannot tell which account the credentials are for ({error})"
        ) from None


def require_account(session: boto3.Session, spec: EnvironmentSpec) -> None:
    account = caller_account(session)
    if account != spec.account_id:
        raise BootstrapError(
            f"the credentials are for account {account}; environment {spec.name!r} is account "
            f"{spec.account_id}: refusing to touch another account"
        )


def state_bucket_policy(bucket: str) -> str:
    arn = f"arn:aws:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


def ensure_key(session: boto3.Session, spec: EnvironmentSpec, outcome: Outcome) -> str:
    """The secrets key, found by its alias or created with rotation and the purpose tag."""
    kms = session.client("kms", region_name=spec.region)
    alias = key_alias(spec)
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
        outcome.note(f"KMS key {alias}", "unchanged")
    except kms.exceptions.NotFoundException:
        ((tag_key, tag_value),) = STATE_KEY_TAG.items()
        key = kms.create_key(
            Description=f"mlplat {spec.name}: Pulumi state and stack secrets",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[
                {"TagKey": tag_key, "TagValue": tag_value},
                {"TagKey": "env", "TagValue": spec.name},
            ],
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        outcome.note(f"KMS key {alias}", "created")
    if not kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]:
        kms.enable_key_rotation(KeyId=key["KeyId"])
        outcome.note(f"rotation of {alias}", "updated")
    return str(key["Arn"])


def ensure_bucket(
    session: boto3.Session, spec: EnvironmentSpec, key_arn: str, outcome: Outcome
) -> None:
    """The state bucket with every control; each is checked and set only when it differs."""
    s3 = session.client("s3", region_name=spec.region)
    bucket = spec.state_bucket
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=spec.account_id)
        outcome.note(f"bucket {bucket}", "unchanged")
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise BootstrapError(
                f"bucket {bucket} exists but not in account {spec.account_id}, or cannot be "
                f"read ({error.response['Error']['Code']})"
            ) from None
        create: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if spec.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": spec.region}
        s3.create_bucket(**create)
        outcome.note(f"bucket {bucket}", "created")

    def put_if_changed(what: str, current: Any, wanted: Any, put: Any) -> None:
        if current != wanted:
            put()
            outcome.note(what, "updated")
        else:
            outcome.note(what, "unchanged")

    block = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
    put_if_changed(
        "public access block",
        _read(lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]),
        block,
        lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block),
    )
    put_if_changed(
        "versioning",
        s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "Enabled",
        lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        ),
    )
    encryption = {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": key_arn,
        },
        "BucketKeyEnabled": True,
    }
    current = _read(
        lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    )
    put_if_changed(
        "SSE-KMS with the state key",
        current,
        [encryption],
        lambda: s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [encryption]}
        ),
    )
    ownership = [{"ObjectOwnership": "BucketOwnerEnforced"}]
    put_if_changed(
        "object ownership enforced",
        _read(
            lambda: s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        ),
        ownership,
        lambda: s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": ownership}
        ),
    )
    policy = state_bucket_policy(bucket)
    current_policy = _read(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"])
    put_if_changed(
        "TLS-only bucket policy",
        json.loads(current_policy) if current_policy else None,
        json.loads(policy),
        lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy),
    )


PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def _read(call: Any) -> Any:
    """A bucket setting, or None where S3 answers that none is set."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in NOT_SET:
            return None
        raise


NOT_SET = (
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "OwnershipControlsNotFoundError",
    "NoSuchBucketPolicy",
)


def bootstrap(session: boto3.Session, spec: EnvironmentSpec) -> tuple[Outcome, str]:
    """Runs every step; returns what happened and the key's ARN."""
    require_account(session, spec)
    outcome = Outcome()
    try:
        key_arn = ensure_key(session, spec, outcome)
        ensure_bucket(session, spec, key_arn, outcome)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        raise BootstrapError(f"AWS refused {error.operation_name}: {code}") from None
    return outcome, key_arn


def pulumi_settings(spec: EnvironmentSpec) -> list[str]:
    """What to run next: the backend and the stack's secrets provider, then, once per
    repository, the OIDC subject template the CI roles' trusts are written for."""
    claims = ", ".join(f'"{claim}"' for claim in SUBJECT_CLAIMS)
    return [
        f"pulumi login 's3://{spec.state_bucket}?region={spec.region}&awssdk=v2'",
        f"pulumi stack init {spec.name} --secrets-provider "
        f"'awskms://{key_alias(spec)}?region={spec.region}'",
        "# once per repository, as its admin (the CI roles trust only this subject format):",
        f"gh api -X PUT repos/{spec.ci.github_repository}/actions/oidc/customization/sub "
        f'--input - <<< \'{{"use_default": false, "include_claim_keys": [{claims}]}}\'',
    ]
