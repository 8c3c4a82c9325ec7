"""Promotion staging -> prod under the recording mock: the source side opens `approved/` to the
target's promotion role alone; the target's role reads only that and writes its own registry."""

from __future__ import annotations

import json

import pytest

from components.iam import boundary_document
from components.kms import key_policy
from components.promotion import PromotionRole, PromotionRoleArgs
from components.registry import promotion_statements
from tests.components.builders import model_registry
from tests.recording import ACCOUNT, REGION, policy, record

STAGING = "444455556666"
PROMOTER = f"arn:aws:iam::{ACCOUNT}:role/mlplat-prod-promotion"
SOURCE = f"mlplat-staging-models-{STAGING}"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def prod():
    def build():
        registry = model_registry()
        PromotionRole(
            "prod",
            PromotionRoleArgs(
                role_name="mlplat-prod-promotion",
                oidc_provider_arn=PROVIDER,
                github_repository="example-org/mlplat",
                github_environment="prod",
                source_bucket=SOURCE,
                source_account_id=STAGING,
                source_region=REGION,
                permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/b",
            ),
            registry,
        )

    return record(build)


def role_policies(prod) -> dict[str, list[dict]]:
    return {
        r.urn.rsplit("::", 1)[1]: json.loads(r.inputs["policy"])["Statement"]
        for r in prod.of_type("aws:iam/rolePolicy:RolePolicy")
    }


def test_the_role_is_ci_of_the_target_environment_only(prod):
    role = prod.one("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-prod-promotion"
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/b"
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert (
        trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        == "repo:example-org/mlplat:environment:prod:job_workflow_ref:"
        "example-org/mlplat/.github/workflows/promote.yml@refs/heads/main"
    )


def test_it_reads_the_source_approved_prefix_and_writes_its_own(prod):
    found = role_policies(prod)
    read = {s["Sid"]: s for s in found["prod-read-source"]}
    assert read["ReadModels"]["Resource"] == [f"arn:aws:s3:::{SOURCE}/approved/*"]
    assert read["ListOwnPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["approved/*"]}}
    assert read["DecryptThroughS3"]["Resource"] == [f"arn:aws:kms:{REGION}:{STAGING}:key/*"]
    assert read["DecryptThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    }
    assert not [a for s in read.values() for a in s["Action"] if "Put" in a or "Delete" in a]
    write = {s["Sid"]: s for s in found["registry-write-approved-prod-role"]}
    assert write["WriteModels"]["Resource"] == [
        f"arn:aws:s3:::mlplat-prod-models-{ACCOUNT}/approved/*"
    ]


def test_the_source_bucket_opens_approved_to_the_named_role_only():
    read, listing = promotion_statements(f"arn:aws:s3:::{SOURCE}", [PROMOTER])
    for statement in (read, listing):
        assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
        assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": [PROMOTER]}
    assert read["Resource"] == [f"arn:aws:s3:::{SOURCE}/approved/*"]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"]
    assert listing["Condition"]["StringLike"] == {"s3:prefix": ["approved/*"]}
    assert promotion_statements(f"arn:aws:s3:::{SOURCE}", []) == []


def test_the_source_storage_key_lets_the_role_decrypt_through_s3_only():
    statements = key_policy(
        "storage", account_id=STAGING, region=REGION, s3_reader_arns=[PROMOTER]
    )["Statement"]
    (grant,) = [s for s in statements if s["Sid"] == "PromotionDecryptsThroughS3"]
    assert grant["Action"] == ["kms:Decrypt"]
    assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
    assert grant["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [PROMOTER]},
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
    }
    plain = key_policy("storage", account_id=STAGING, region=REGION)["Statement"]
    assert "PromotionDecryptsThroughS3" not in {s["Sid"] for s in plain}


def test_the_target_boundary_lets_only_the_promotion_role_use_foreign_keys():
    boundary = "arn:aws:iam::1:policy/b"
    statements = {
        s["Sid"]: s
        for s in boundary_document(
            account_id=ACCOUNT,
            region=REGION,
            boundary_arn=boundary,
            foreign_key_user_arns=[PROMOTER],
        )["Statement"]
    }
    assert statements["KeysAndSecretsOfThisAccountOnly"]["Condition"] == {
        "StringNotEquals": {"aws:ResourceAccount": ACCOUNT},
        "ArnNotEquals": {"aws:PrincipalArn": [PROMOTER]},
    }
