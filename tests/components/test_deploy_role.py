"""DeployRole: GitHub's OIDC provider, the CI deploy role and its scoped policies."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from components.deploy_role import (
    GITHUB_OIDC_HOST,
    SUBJECT_CLAIMS,
    DeployRole,
    DeployRoleArgs,
    DeployScope,
    deploy_policies,
)
from tests.components.builders import BOUNDARY
from tests.recording import ACCOUNT, REGION, policy, record

SCOPE = DeployScope(
    account_id=ACCOUNT,
    region=REGION,
    name_prefix="mlplat-staging",
    cluster_name="mlplat-staging",
    boundary_arn=BOUNDARY,
    state_bucket=f"mlplat-staging-pulumi-state-{ACCOUNT}",
)
ARGS = DeployRoleArgs(
    scope=SCOPE,
    role_name="mlplat-staging-deploy",
    github_repository="example-org/mlplat",
    github_environment="staging",
    permissions_boundary_arn=BOUNDARY,
)
# Statements on Resource "*": each API takes no resource, or names one that does not exist yet.
UNSCOPED = {
    "NetworkReads",
    "RegionalAccountSettings",
    "EksCatalogue",
    "RdsCatalogue",
    "ListLogGroups",
    "CreateKeys",
    "AccountPublicAccessBlock",
    "AccountDetectorsWithoutResources",
}


@pytest.fixture(scope="module")
def deploy():
    return record(lambda: DeployRole("deploy", ARGS))


def statements() -> dict[str, dict]:
    return {
        s["Sid"]: s for document in deploy_policies(SCOPE).values() for s in document["Statement"]
    }


def test_children(deploy):
    component = deploy.one("mlplat:iam:DeployRole")
    assert deploy.child_types(component.urn) == Counter(
        {
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/policy:Policy": 8,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 8,
        }
    )


def test_github_provider_trusts_only_the_sts_audience(deploy):
    provider = deploy.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.inputs  # AWS verifies GitHub against its own CAs


def test_trust_pins_the_deploy_workflow_on_main_in_the_environment(deploy):
    role = deploy.one("aws:iam/role:Role")
    provider = deploy.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Federated": provider.outputs["arn"]}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    # The repository's customized subject: repo, context (the GitHub environment) and the
    # workflow file at its ref. A job of any other workflow, branch or environment is refused.
    assert SUBJECT_CLAIMS == ("repo", "context", "job_workflow_ref")
    assert trust["Condition"] == {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": "repo:example-org/mlplat:environment:staging:"
            "job_workflow_ref:example-org/mlplat/.github/workflows/pulumi-up.yml@refs/heads/main",
        }
    }


def test_role_is_named_bounded_and_holds_only_its_own_policies(deploy):
    role = deploy.one("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-staging-deploy"
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    assert role.inputs["maxSessionDuration"] == 7200
    policies = {p.outputs["arn"]: p for p in deploy.of_type("aws:iam/policy:Policy")}
    attached = [
        a.inputs["policyArn"]
        for a in deploy.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]
    assert sorted(attached) == sorted(policies)
    assert sorted(p.inputs["name"] for p in policies.values()) == [
        "mlplat-staging-deploy-alerts",
        "mlplat-staging-deploy-audit",
        "mlplat-staging-deploy-cluster",
        "mlplat-staging-deploy-database",
        "mlplat-staging-deploy-identity",
        "mlplat-staging-deploy-keys-and-state",
        "mlplat-staging-deploy-network",
        "mlplat-staging-deploy-storage",
    ]
    for attached_policy in policies.values():
        purpose = attached_policy.inputs["name"].removeprefix("mlplat-staging-deploy-")
        assert json.loads(attached_policy.inputs["policy"]) == deploy_policies(SCOPE)[purpose]


def test_no_wildcard_action_and_resource_star_only_where_no_resource_applies():
    grants = {sid: s for sid, s in statements().items() if s["Effect"] == "Allow"}
    assert set(statements()) - set(grants) == {"NoObjectAccessButTheState"}
    for sid, statement in grants.items():
        assert not [a for a in statement["Action"] if a == "*" or a.endswith(":*")], sid
        if "*" in statement["Resource"]:
            assert sid in UNSCOPED
            assert statement["Resource"] == ["*"]
    assert set(statements()) >= UNSCOPED


def test_roles_are_created_and_granted_only_with_the_boundary():
    found = statements()
    boundary = found["RolesOnlyWithTheBoundary"]
    assert set(boundary["Action"]) == {
        "iam:AttachRolePolicy",
        "iam:CreateRole",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
    }
    assert boundary["Condition"] == {"ArnEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    own_roles = [f"arn:aws:iam::{ACCOUNT}:role/mlplat-staging-*"]
    assert boundary["Resource"] == own_roles
    assert found["PassOnlyOwnRoles"]["Resource"] == own_roles
    # No other statement can create a role or grant it a policy.
    others = [s for sid, s in found.items() if sid != "RolesOnlyWithTheBoundary"]
    assert not {a for s in others for a in s["Action"]} & set(boundary["Action"])


def test_buckets_are_managed_by_name_and_their_objects_never_read():
    found = statements()
    buckets = found["BucketsOfThisEnvironment"]
    assert buckets["Resource"] == ["arn:aws:s3:::mlplat-staging-*"]
    assert not [a for a in buckets["Action"] if "Object" in a]
    readers = [sid for sid, st in found.items() if "s3:GetObject" in st["Action"]]
    assert readers == ["StateObjects"]
    # A bucket policy it writes cannot hand it objects either: the explicit Deny wins.
    assert found["NoObjectAccessButTheState"] == {
        "Sid": "NoObjectAccessButTheState",
        "Effect": "Deny",
        "Action": ["s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"],
        "NotResource": [
            f"arn:aws:s3:::mlplat-staging-pulumi-state-{ACCOUNT}",
            f"arn:aws:s3:::mlplat-staging-pulumi-state-{ACCOUNT}/*",
        ],
    }


def test_state_access_is_the_state_bucket_and_the_tagged_key_only():
    found = statements()
    assert found["StateObjects"]["Resource"] == [
        f"arn:aws:s3:::mlplat-staging-pulumi-state-{ACCOUNT}/*"
    ]
    assert found["StateAndSecretsKeyOnly"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/mlplat.io/purpose": "pulumi-state"}
    }
    assert found["GrantsToAwsServicesOnly"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }


def test_database_secrets_are_created_never_read():
    found = statements()
    secrets = found["RdsManagedSecrets"]
    assert secrets["Resource"] == [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!*"]
    granted = {a for st in found.values() if st["Effect"] == "Allow" for a in st["Action"]}
    assert "secretsmanager:GetSecretValue" not in granted
    assert found["SecretKeyThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }


def test_each_policy_fits_iams_managed_policy_size():
    for purpose, document in deploy_policies(SCOPE).items():
        size = len(json.dumps(document, separators=(",", ":")))
        assert size <= 6144, f"{purpose}: {size} characters"


@pytest.mark.parametrize("role_name", ["ci-deploy", "mlplat-stagingdeploy", "mlplat-prod-deploy"])
def test_a_ci_role_named_outside_its_scope_is_refused(record, role_name):
    from dataclasses import replace

    from components.preview_role import PreviewRole
    from tests.components.test_preview_role import ARGS as PREVIEW

    expected = f"role_name: '{role_name}' is outside the scope `mlplat-staging-*`"
    with pytest.raises(Exception, match=re.escape(f"DeployRole deploy: {expected}")):
        record(lambda: DeployRole("deploy", replace(ARGS, role_name=role_name)))
    with pytest.raises(Exception, match=re.escape(f"PreviewRole preview: {expected}")):
        record(lambda: PreviewRole("preview", replace(PREVIEW, role_name=role_name)))
