"""IamBaseline (boundary, audit role) and WorkloadRole (Pod Identity), under the recording mock."""

from __future__ import annotations

from collections import Counter

import pytest

from components import policy_documents as docs
from components.iam import IamBaseline, IamBaselineArgs
from components.workload_role import WorkloadRole, WorkloadRoleArgs, validate_workload_role_args
from tests.components.builders import pod_identity
from tests.recording import ACCOUNT, REGION, policy

AUDITOR = "arn:aws:iam::999988887777:role/InfoSecAudit"
BASELINE = IamBaselineArgs(
    name_prefix="mlplat-staging",
    account_id=ACCOUNT,
    region=REGION,
    audit_principal_arns=[AUDITOR],
    organization_id="o-a1b2c3d4e5",
)
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/mlplat-staging"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/mlplat-staging-permissions-boundary"


@pytest.fixture
def baseline(record):
    return record(lambda: IamBaseline("iam", BASELINE))


def test_baseline_children(baseline):
    component = baseline.one("mlplat:iam:IamBaseline")
    assert baseline.child_types(component.urn) == Counter(
        {
            "aws:iam/policy:Policy": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 2,
        }
    )


def test_boundary_caps_to_the_region_and_forbids_escape(baseline):
    boundary = baseline.one("aws:iam/policy:Policy")
    assert boundary.inputs["name"] == "mlplat-staging-permissions-boundary"
    assert boundary.inputs["tags"] == {"mlplat.io/policy-kind": "permissions-boundary"}
    statements = {s["Sid"]: s for s in policy(boundary, "policy")["Statement"]}
    cap = statements["CapWithinThisEnvironment"]
    assert cap["Condition"] == {"StringEquals": {"aws:RequestedRegion": [REGION, "us-east-1"]}}
    assert all(
        s["Effect"] == "Deny" for sid, s in statements.items() if sid != "CapWithinThisEnvironment"
    )
    assert statements["KeepTheBoundary"]["Resource"] == [BOUNDARY_ARN]
    assert statements["RolesOnlyWithThisBoundary"]["Condition"] == {
        "ArnNotEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}
    }
    assert "iam:DeleteRolePermissionsBoundary" in statements["NeverRemoveABoundary"]["Action"]
    assert {"cloudtrail:StopLogging", "kms:ScheduleKeyDeletion"} <= set(
        statements["KeepTheAuditTrailAndKeys"]["Action"]
    )
    assert statements["KeysAndSecretsOfThisAccountOnly"]["Condition"] == {
        "StringNotEquals": {"aws:ResourceAccount": ACCOUNT}
    }


def test_audit_role_is_read_only_bounded_and_confined_to_the_organization(baseline):
    role = baseline.one("aws:iam/role:Role")
    boundary = baseline.one("aws:iam/policy:Policy")
    assert role.inputs["name"] == "mlplat-staging-infosec-audit"
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
    assert role.property_dependencies["permissionsBoundary"] == [boundary.urn]
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": [AUDITOR]}
    assert trust["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    attached = sorted(
        a.inputs["policyArn"]
        for a in baseline.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == [
        "arn:aws:iam::aws:policy/SecurityAudit",
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    ]


READ_MODELS = docs.allow(["s3:GetObject"], ["arn:aws:s3:::models/team-a/*"], sid="ReadModels")


def workload(**overrides) -> WorkloadRoleArgs:
    values = {
        "pod_identity": pod_identity("mlplat-staging", BOUNDARY_ARN),
        "role_name": "mlplat-staging-trainer",
        "namespace": "team-a",
        "service_account": "trainer",
        "statements": [READ_MODELS],
    }
    values.update(overrides)
    return WorkloadRoleArgs(**values)


def test_workload_role_is_pod_identity_of_one_service_account(record):
    recording = record(lambda: WorkloadRole("trainer", workload()))
    component = recording.one("mlplat:iam:WorkloadRole")
    assert recording.child_types(component.urn) == Counter(
        {
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "aws:eks/podIdentityAssociation:PodIdentityAssociation": 1,
        }
    )
    role = recording.one("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-staging-trainer"
    assert role.inputs["permissionsBoundary"] == BOUNDARY_ARN
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": CLUSTER_ARN},
    }
    assert policy(recording.one("aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"] == [
        READ_MODELS
    ]
    association = recording.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "team-a",
        "trainer",
    )
    assert association.inputs["roleArn"] == role.outputs["arn"]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            [docs.allow(["s3:*"], ["arn:aws:s3:::models/*"], sid="All")],
            "statements[All].Action: got ['s3:*']; expected named actions",
        ),
    ],
)
def test_workload_role_validation(statements, expected):
    assert validate_workload_role_args(workload(statements=statements)) == [expected]
