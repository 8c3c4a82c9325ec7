"""SecureBucket and ModelRegistry under the recording mock: every bucket control, object lock per
environment, and grants scoped to one prefix with the matching KMS use."""

from __future__ import annotations

import json
from collections import Counter

import pulumi_aws as aws
import pytest

from components.bucket import (
    ObjectLock,
    SecureBucket,
    SecureBucketArgs,
    validate_secure_bucket_args,
)
from tests.components.builders import MODELS_BUCKET, STORAGE_KEY, model_registry
from tests.recording import ACCOUNT, REGION, policy, record

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET = MODELS_BUCKET


@pytest.fixture(scope="module")
def prod():
    def build():
        registry = model_registry(ObjectLock(mode="COMPLIANCE", days=365))
        trainer = aws.iam.Role("trainer", assume_role_policy="{}")
        registry.grant_write(trainer, "team-a/")
        registry.grant_read(trainer, "shared/")

    return record(build)


def test_bucket_children(prod):
    component = prod.one("mlplat:storage:SecureBucket")
    assert prod.child_types(component.urn) == Counter(
        {
            "aws:s3/bucket:Bucket": 1,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
            "aws:s3/bucketVersioning:BucketVersioning": 1,
            SSE: 1,
            "aws:s3/bucketPolicy:BucketPolicy": 1,
            "aws:s3/bucketLogging:BucketLogging": 1,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
        }
    )


def test_bucket_is_encrypted_private_versioned_and_logged(prod):
    bucket = prod.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == BUCKET
    assert bucket.inputs["objectLockEnabled"] is True
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == {"mlplat.io/data-class": "models"}
    (rule,) = prod.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": STORAGE_KEY,
        },
        "bucketKeyEnabled": True,
    }
    block = prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    ownership = prod.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = prod.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    logging = prod.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert (logging["targetBucket"], logging["targetPrefix"]) == (
        f"mlplat-prod-access-logs-{ACCOUNT}",
        f"{BUCKET}/",
    )
    (tls,) = policy(prod.one("aws:s3/bucketPolicy:BucketPolicy"), "policy")["Statement"]
    assert tls["Effect"] == "Deny" and tls["Principal"] == {"AWS": "*"}
    assert tls["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_lifecycle_and_object_lock(prod):
    (rule,) = prod.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
        "rules"
    ]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    lock = prod.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}


def test_without_a_lock_there_is_no_lock(record):
    recording = record(lambda: model_registry())
    assert recording.one("aws:s3/bucket:Bucket").inputs["objectLockEnabled"] is False
    assert not recording.of_type(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    )


def grants(prod) -> dict[str, list[dict]]:
    return {
        r.urn.rsplit("::", 1)[1]: json.loads(r.inputs["policy"])["Statement"]
        for r in prod.of_type("aws:iam/rolePolicy:RolePolicy")
    }


def test_grants_scope_to_the_prefix_and_use_the_key_only_through_s3(prod):
    found = grants(prod)
    read = {s["Sid"]: s for s in found["registry-read-shared-trainer"]}
    assert read["ReadModels"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/shared/*"]
    assert read["ReadModels"]["Action"] == [
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
    ]
    assert read["ListOwnPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["shared/*"]}}
    assert read["DecryptThroughS3"] == {
        "Sid": "DecryptThroughS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [STORAGE_KEY],
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
    }
    write = {s["Sid"]: s for s in found["registry-write-team-a-trainer"]}
    assert write["WriteModels"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/team-a/*"]
    assert "s3:DeleteObject" not in write["WriteModels"]["Action"]  # versions are never deleted
    assert write["EncryptThroughS3"]["Action"] == ["kms:GenerateDataKey"]
    assert set(write) >= {"ReadModels", "ListOwnPrefix", "DecryptThroughS3"}


@pytest.mark.parametrize("prefix", ["", "team-a", "/team-a/", "team-*/"])
def test_a_grant_needs_a_plain_prefix(prefix):
    def build():
        registry = model_registry()
        registry.grant_read(aws.iam.Role("r", assume_role_policy="{}"), prefix)

    with pytest.raises(Exception, match="expected a path like 'team-a/'"):
        record(build)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"bucket_name": "Models"},
            "bucket_name: got 'Models'; expected 3-63 lowercase characters",
        ),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days: got 0; expected >= 1"),
        (
            {"object_lock": ObjectLock(mode="GOVERNANCE", days=0)},
            "object_lock.days: got 0; expected >= 1",
        ),
    ],
)
def test_bucket_validation(overrides, expected):
    values = {
        "bucket_name": "mlplat-dev-x",
        "account_id": ACCOUNT,
        "data_class": "models",
        "kms_key_arn": STORAGE_KEY,
        "access_log_bucket": "logs",
    }
    values.update(overrides)
    assert validate_secure_bucket_args(SecureBucketArgs(**values)) == [expected]


def test_the_access_log_bucket_logs_nowhere_and_admits_log_delivery(record):
    recording = record(
        lambda: SecureBucket(
            "logs",
            SecureBucketArgs(
                bucket_name="mlplat-dev-access-logs-1",
                account_id=ACCOUNT,
                data_class="access-logs",
                kms_key_arn=STORAGE_KEY,
                access_log_bucket=None,
            ),
        )
    )
    assert not recording.of_type("aws:s3/bucketLogging:BucketLogging")
    tls, delivery = policy(recording.one("aws:s3/bucketPolicy:BucketPolicy"), "policy")["Statement"]
    assert tls["Sid"] == "TlsOnly"
    assert delivery == {
        "Sid": "S3AccessLogDeliveryOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::mlplat-dev-access-logs-1/*"],
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
