"""The state -> terraform_plan adapter, without running checkov."""

from __future__ import annotations

import pytest

from mlplat.checkov_bridge import (
    BOUNDARY_WITHHELD,
    skipped_checks,
    snake,
    terraform_type,
    to_terraform_plan,
)


@pytest.mark.parametrize(
    ("pulumi_type", "terraform"),
    [
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws_s3_bucket_versioning"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws_default_security_group"),
        ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
        ("aws:kms/key:Key", "aws_kms_key"),
        ("aws:iam/rolePolicy:RolePolicy", "aws_iam_role_policy"),
        ("aws:eks/cluster:Cluster", "aws_eks_cluster"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("kubernetes:core/v1:Namespace", None),
    ],
)
def test_terraform_types(pulumi_type, terraform):
    assert terraform_type(pulumi_type) == terraform


def test_snake_case():
    assert snake("enableKeyRotation") == "enable_key_rotation"
    assert snake("ipv6CidrBlocks") == "ipv6_cidr_blocks"
    assert snake("tagsAll") == "tags_all"


def test_values_become_blocks_and_dependencies_become_references():
    bucket = {
        "urn": "urn:pulumi:dev::mlplat::aws:s3/bucketV2:BucketV2::models",
        "type": "aws:s3/bucketV2:BucketV2",
        "custom": True,
        "inputs": {"bucket": "models-1", "tags": {"Name": "models", "camelKey": "x"}},
    }
    versioning = {
        "urn": "urn:pulumi:dev::mlplat::aws:s3/bucketVersioningV2:BucketVersioningV2::models-versioning",
        "type": "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "custom": True,
        "inputs": {"bucket": "models-1", "versioningConfiguration": {"status": "Enabled"}},
        "propertyDependencies": {"bucket": [bucket["urn"]]},
    }
    component = {
        "urn": "urn:pulumi:dev::mlplat::mlplat:x:X::c",
        "type": "mlplat:x:X",
        "custom": False,
    }
    plan = to_terraform_plan([bucket, versioning, component])
    planned = {r["address"]: r for r in plan.document["planned_values"]["root_module"]["resources"]}
    assert set(planned) == {"aws_s3_bucket.models", "aws_s3_bucket_versioning.models_versioning"}
    assert planned["aws_s3_bucket.models"]["values"]["tags"] == {"Name": "models", "camelKey": "x"}
    version_values = planned["aws_s3_bucket_versioning.models_versioning"]["values"]
    assert version_values == {"versioning_configuration": [{"status": "Enabled"}]}
    (configured,) = [
        r
        for r in plan.document["configuration"]["root_module"]["resources"]
        if r["type"] == "aws_s3_bucket_versioning"
    ]
    assert configured["expressions"] == {
        "bucket": {"references": ["aws_s3_bucket.models.id", "aws_s3_bucket.models"]}
    }
    assert plan.addresses["aws_s3_bucket.models"] == bucket["urn"]


def test_every_skipped_check_has_a_reason():
    for check, reason in skipped_checks().items():
        assert check.startswith(("CKV_", "CKV2_"))
        assert len(reason) > 30, check


def test_a_permission_boundary_is_withheld_by_its_use_never_by_its_tag():
    tagged = {"policy": "{}", "tags": {"mlplat.io/policy-kind": "permissions-boundary"}}
    boundary = {
        "urn": "urn:pulumi:dev::mlplat::aws:iam/policy:Policy::boundary",
        "type": "aws:iam/policy:Policy",
        "custom": True,
        "inputs": tagged,
    }
    posing = {**boundary, "urn": boundary["urn"] + "2"}  # the tag, but no role carries it
    role = {
        "urn": "urn:pulumi:dev::mlplat::aws:iam/role:Role::r",
        "type": "aws:iam/role:Role",
        "custom": True,
        "inputs": {"assumeRolePolicy": "{}", "permissionsBoundary": "arn"},
        "propertyDependencies": {"permissionsBoundary": [boundary["urn"]]},
    }
    plan = to_terraform_plan([boundary, posing, role])
    assert sorted(plan.addresses.values()) == sorted([posing["urn"], role["urn"]])
    assert plan.withheld == ((boundary["urn"], BOUNDARY_WITHHELD),)


def test_a_block_with_a_dependency_keeps_its_known_fields():
    key = {
        "urn": "urn:pulumi:dev::mlplat::aws:kms/key:Key::cluster",
        "type": "aws:kms/key:Key",
        "custom": True,
        "inputs": {"enableKeyRotation": True},
    }
    cluster = {
        "urn": "urn:pulumi:dev::mlplat::aws:eks/cluster:Cluster::c",
        "type": "aws:eks/cluster:Cluster",
        "custom": True,
        "inputs": {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:k"}}},
        "propertyDependencies": {"encryptionConfig": [key["urn"]]},
    }
    plan = to_terraform_plan([key, cluster])
    values = plan.document["planned_values"]["root_module"]["resources"][1]["values"]
    assert values["encryption_config"] == [
        {"resources": ["secrets"], "provider": [{"key_arn": "arn:k"}]}
    ]
    conf = plan.document["configuration"]["root_module"]["resources"][1]
    assert conf["expressions"]["encryption_config"]["references"][1] == "aws_kms_key.cluster"
