"""Kms: per-purpose keys with rotation, an explicit account-scoped policy and protection."""

from __future__ import annotations

from collections import Counter

import pulumi
import pytest

from components.kms import KEY_PURPOSES, Kms, KmsArgs, validate_kms_args
from tests.recording import ACCOUNT, REGION, policy

ARGS = KmsArgs(
    environment="staging", alias_prefix="alias/staging-", account_id=ACCOUNT, region=REGION
)


@pytest.fixture
def protected(record):
    return record(lambda: Kms("kms", ARGS, opts=pulumi.ResourceOptions(protect=True)))


def test_one_key_and_one_alias_per_purpose(protected):
    component = protected.one("mlplat:kms:Kms")
    assert protected.child_types(component.urn) == Counter(
        {"aws:kms/key:Key": 3, "aws:kms/alias:Alias": 3}
    )
    aliases = sorted(a.inputs["name"] for a in protected.of_type("aws:kms/alias:Alias"))
    assert aliases == ["alias/staging-cluster", "alias/staging-logs", "alias/staging-storage"]
    keys_by_id = {k.id: k for k in protected.of_type("aws:kms/key:Key")}
    for alias in protected.of_type("aws:kms/alias:Alias"):
        key = keys_by_id[alias.inputs["targetKeyId"]]
        assert alias.inputs["name"].endswith(key.inputs["tags"]["mlplat.io/key-purpose"])


def test_keys_rotate_and_wait_thirty_days_before_deletion(protected):
    for key in protected.of_type("aws:kms/key:Key"):
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["rotationPeriodInDays"] == 365
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.inputs["isEnabled"] is True
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
        assert key.inputs["multiRegion"] is False


def test_key_policies_trust_only_this_account_and_logs_of_this_account(protected):
    for key in protected.of_type("aws:kms/key:Key"):
        statements = policy(key, "policy")["Statement"]
        principals = [s["Principal"] for s in statements]
        assert {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} == principals[0]
        assert all(p != "*" and p.get("AWS") != "*" for p in principals)
        purpose = key.inputs["tags"]["mlplat.io/key-purpose"]
        if purpose == "storage":
            (_, delivery) = statements
            assert delivery == {
                "Sid": "LogDeliveryOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ["config.amazonaws.com", "logging.s3.amazonaws.com"]},
                "Action": ["kms:GenerateDataKey"],
                "Resource": ["*"],
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
            continue
        if purpose != "logs":
            assert len(statements) == 1
            continue
        crypto, describe, trail, trail_describe, publishers = statements[1:]
        assert (
            trail["Principal"]
            == trail_describe["Principal"]
            == {"Service": "cloudtrail.amazonaws.com"}
        )
        assert trail["Action"] == ["kms:GenerateDataKey*"]
        assert trail["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "StringLike": {
                "kms:EncryptionContext:aws:cloudtrail:arn": (
                    f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/*"
                )
            },
        }
        assert publishers["Principal"] == {
            "Service": [
                "budgets.amazonaws.com",
                "cloudwatch.amazonaws.com",
                "costalerts.amazonaws.com",
            ]
        }
        assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
        logs = {"Service": f"logs.{REGION}.amazonaws.com"}
        assert crypto["Principal"] == describe["Principal"] == logs
        assert crypto["Condition"] == {
            "StringLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
            }
        }
        assert "kms:*" not in crypto["Action"] and "kms:Describe*" not in crypto["Action"]
        assert describe["Action"] == ["kms:DescribeKey"]
        assert describe["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_protection_reaches_every_key_and_alias(protected, record):
    assert all(r.protect for r in protected.records)
    unprotected = record(lambda: Kms("kms", ARGS))
    assert not any(r.protect for r in unprotected.records)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"purposes": ("logs", "backups")}, "purposes: got ['backups']"),
        (
            {"purposes": ("logs", "logs")},
            "purposes: got ['logs', 'logs']; expected each purpose once",
        ),
        ({"account_id": "1234"}, "account_id: got '1234'; expected 12 digits"),
        ({"alias_prefix": "alias/aws/ml-"}, "alias_prefix: got 'alias/aws/ml-'; expected"),
        ({"alias_prefix": "staging-"}, "alias_prefix: got 'staging-'; expected `alias/`"),
    ],
)
def test_validation_reports_each_problem(overrides, expected):
    problems = validate_kms_args(KmsArgs(**{**ARGS.__dict__, **overrides}))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_default_purposes_are_valid():
    assert validate_kms_args(ARGS) == []
    assert tuple(ARGS.purposes) == KEY_PURPOSES
