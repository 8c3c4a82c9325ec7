"""`mlplat bootstrap`: the state bucket and secrets key, idempotent, in the right account only."""

from __future__ import annotations

import json

import pytest

from mlplat.bootstrap import BootstrapError, bootstrap, key_alias, pulumi_settings


def test_creates_the_bucket_and_key_with_every_control(aws):
    session, spec = aws
    outcome, key_arn = bootstrap(session, spec)
    assert outcome.changed
    s3, kms = session.client("s3"), session.client("kms")
    bucket = spec.state_bucket
    assert bucket == f"mlplat-dev-pulumi-state-{spec.account_id}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    assert rule["BucketKeyEnabled"] is True
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (tls,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    key = kms.describe_key(KeyId=key_alias(spec))["KeyMetadata"]
    assert key["Arn"] == key_arn
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    # The deploy role may use only the key carrying this tag.
    assert tags == {"mlplat.io/purpose": "pulumi-state", "env": "dev"}


def test_a_second_run_changes_nothing(aws):
    session, spec = aws
    bootstrap(session, spec)
    outcome, _ = bootstrap(session, spec)
    assert not outcome.changed
    assert {status for _, status in outcome.steps} == {"unchanged"}


def test_a_drifted_setting_is_put_back(aws):
    session, spec = aws
    bootstrap(session, spec)
    session.client("s3").delete_bucket_policy(Bucket=spec.state_bucket)
    outcome, _ = bootstrap(session, spec)
    assert [s for s in outcome.steps if s[1] != "unchanged"] == [
        ("TLS-only bucket policy", "updated")
    ]


def test_refuses_another_account(aws, monkeypatch):
    session, _ = aws
    from stacks.environment import load_environment

    prod = load_environment("prod")
    with pytest.raises(BootstrapError, match=r"credentials are for account 111122223333; "):
        bootstrap(session, prod)
    # Nothing was created in the wrong account.
    assert session.client("s3").list_buckets()["Buckets"] == []
    assert session.client("kms").list_keys()["Keys"] == []


def test_prints_the_backend_secrets_provider_and_oidc_subject_template(aws):
    _, spec = aws
    login, stack, note, template = pulumi_settings(spec)
    assert login == f"pulumi login 's3://{spec.state_bucket}?region=eu-west-1&awssdk=v2'"
    assert "--secrets-provider 'awskms://alias/mlplat-dev-pulumi-state?region=eu-west-1'" in stack
    assert note.startswith("# once per repository")
    assert template == (
        "gh api -X PUT repos/example-org/mlplat/actions/oidc/customization/sub --input - <<< "
        '\'{"use_default": false, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}\''
    )
