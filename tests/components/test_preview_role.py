"""PreviewRole: the read-only role of pull requests' previews, and its trust."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.deploy_role import GITHUB_OIDC_HOST, deploy_policies
from components.preview_role import (
    POLICY_LIMIT,
    PreviewRole,
    PreviewRoleArgs,
    is_read,
    preview_policies,
)
from tests.components.test_deploy_role import BOUNDARY, SCOPE
from tests.recording import ACCOUNT, policy, record

PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"
ARGS = PreviewRoleArgs(
    scope=SCOPE,
    role_name="mlplat-staging-preview",
    github_repository="example-org/mlplat",
    github_environment="staging",
    oidc_provider_arn=PROVIDER,
    permissions_boundary_arn=BOUNDARY,
)
STATE = f"arn:aws:s3:::{SCOPE.state_bucket}"


@pytest.fixture(scope="module")
def preview():
    return record(lambda: PreviewRole("staging", ARGS))


def test_children(preview):
    component = preview.one("mlplat:iam:PreviewRole")
    count = len(preview_policies(SCOPE))
    assert count == 2
    assert preview.child_types(component.urn) == Counter(
        {
            "aws:iam/role:Role": 1,
            "aws:iam/policy:Policy": count,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": count,
        }
    )


def test_trust_admits_only_a_pull_requests_preview_job_in_the_preview_gate(preview):
    role = preview.one("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-staging-preview"
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert trust["Condition"] == {
        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
        "StringLike": {
            f"{GITHUB_OIDC_HOST}:sub": "repo:example-org/mlplat:environment:preview-staging:"
            "job_workflow_ref:example-org/mlplat/.github/workflows/pull-request.yml"
            "@refs/pull/*/merge"
        },
    }


def test_it_reads_the_state_and_writes_nothing(preview):
    statements = [
        s
        for p in preview.of_type("aws:iam/policy:Policy")
        for s in policy(p, "policy")["Statement"]
    ]
    actions = {a for s in statements for a in s["Action"]}
    assert {"s3:GetObject", "s3:ListBucket", "kms:Decrypt", "kms:DescribeKey"} <= actions
    written = sorted(a for a in actions - {"kms:Decrypt"} if not is_read(a))
    assert written == ["s3:GetObject"]  # a data read: of the state's objects only
    (objects,) = [s for s in statements if "s3:GetObject" in s["Action"]]
    assert objects["Resource"] == [f"{STATE}/*"]
    (decrypt,) = [s for s in statements if "kms:Decrypt" in s["Action"]]
    assert decrypt["Condition"] == {
        "StringEquals": {"aws:ResourceTag/mlplat.io/purpose": "pulumi-state"}
    }
    for p in preview.of_type("aws:iam/policy:Policy"):
        assert len(json.dumps(policy(p, "policy"), separators=(",", ":"))) <= POLICY_LIMIT


def test_every_read_is_one_the_deploy_role_makes_on_the_same_resources():
    deploy = {
        (a, r)
        for d in deploy_policies(SCOPE).values()
        for s in d["Statement"]
        for a in s["Action"]
        for r in s.get("Resource", [])
    }
    state = {"StateBucket", "StateObjects", "StateAndSecretsKeyOnly"}
    for document in preview_policies(SCOPE):
        for statement in document["Statement"]:
            if statement["Sid"] in state:
                continue
            for action in statement["Action"]:
                assert is_read(action), action
                for resource in statement["Resource"]:
                    assert (action, resource) in deploy, (action, resource)


@pytest.mark.parametrize(
    ("action", "read"),
    [
        ("ec2:DescribeVpcs", True),
        ("iam:GetRole", True),
        ("eks:ListAddons", True),
        ("s3:GetObject", False),
        ("s3:GetObjectVersion", False),
        ("logs:GetLogEvents", False),
        ("secretsmanager:GetSecretValue", False),
        ("ssm:GetParameters", False),
        ("ec2:CreateVpc", False),
        ("iam:PassRole", False),
        ("s3:PutBucketPolicy", False),
    ],
)
def test_reads_are_configuration_reads_never_data(action, read):
    assert is_read(action) is read
