"""checkov, pinned and isolated, over the adapter's output: it must fail the broken fixtures and
pass the platform's own states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.checkov_bridge import check_state
from mlplat.synth import synthesize

KEY_URN = "urn:pulumi:dev::mlplat::aws:kms/key:Key::storage"


def res(type_, name, inputs, deps=None):
    return {
        "urn": f"urn:pulumi:dev::mlplat::{type_}::{name}",
        "type": type_,
        "custom": True,
        "inputs": inputs,
        "propertyDependencies": deps or {},
    }


BROKEN = [
    res("aws:s3/bucketV2:BucketV2", "plain", {"bucket": "plain-1"}),
    res(
        "aws:eks/cluster:Cluster",
        "public",
        {
            "name": "public",
            "roleArn": "arn:aws:iam::111122223333:role/eks",
            "vpcConfig": {
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["0.0.0.0/0"],
                "subnetIds": ["subnet-1"],
            },
        },
    ),
    res("aws:kms/key:Key", "storage", {"enableKeyRotation": False, "description": "no rotation"}),
]


@pytest.fixture(scope="module")
def broken():
    result, _ = check_state(BROKEN, None)
    return {(f["check_id"], f["resource"]) for f in result.failed}


def test_checkov_fails_an_unencrypted_bucket(broken):
    assert ("CKV_AWS_145", "aws_s3_bucket.plain") in broken  # no KMS default encryption
    assert ("CKV2_AWS_6", "aws_s3_bucket.plain") in broken  # no public access block


def test_checkov_fails_a_public_eks_endpoint(broken):
    assert ("CKV_AWS_39", "aws_eks_cluster.public") in broken  # public endpoint
    assert ("CKV_AWS_38", "aws_eks_cluster.public") in broken  # open to 0.0.0.0/0
    assert ("CKV_AWS_58", "aws_eks_cluster.public") in broken  # secrets not encrypted


def test_checkov_fails_a_key_without_rotation(broken):
    assert ("CKV_AWS_7", "aws_kms_key.storage") in broken


def test_checkov_passes_the_platform(tmp_path):
    state = synthesize("prod").state
    result, plan = check_state(state["deployment"]["resources"], tmp_path)
    assert result.failed == ()
    assert result.passed > 50
    assert plan.unmapped == ()
    assert json.dumps(plan.document)


def test_checkov_links_side_resources_through_references():
    bucket = res("aws:s3/bucketV2:BucketV2", "models", {"bucket": "models-1"})
    block = res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "models-bpa",
        {
            "bucket": "models-1",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        deps={"bucket": [bucket["urn"]]},
    )
    result, _ = check_state([bucket, block], Path("/nonexistent"))
    failed = {(f["check_id"], f["resource"]) for f in result.failed}
    assert ("CKV2_AWS_6", "aws_s3_bucket.models") not in failed  # linked: the graph check passes
    assert ("CKV_AWS_145", "aws_s3_bucket.models") in failed
