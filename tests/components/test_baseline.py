"""AccountBaseline: account- and region-wide secure defaults, under the recording mock."""

from __future__ import annotations

from collections import Counter

import pytest

from components.baseline import AccountBaseline, AccountBaselineArgs


@pytest.fixture
def baseline(record):
    return record(lambda: AccountBaseline("base", AccountBaselineArgs()))


def test_children(baseline):
    component = baseline.one("mlplat:baseline:AccountBaseline")
    assert baseline.child_types(component.urn) == Counter(
        {
            "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": 1,
            "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions": 1,
            "aws:ebs/encryptionByDefault:EncryptionByDefault": 1,
            "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults": 1,
            "aws:iam/serviceLinkedRole:ServiceLinkedRole": 2,
        }
    )


def test_public_access_is_blocked_account_wide(baseline):
    block = baseline.one("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
    assert {k: block.inputs[k] for k in block.inputs if k != "accountId"} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    vpc = baseline.one("aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions")
    assert vpc.inputs["internetGatewayBlockMode"] == "block-ingress"


def test_volumes_are_encrypted_and_instances_get_imdsv2_by_default(baseline):
    assert baseline.one("aws:ebs/encryptionByDefault:EncryptionByDefault").inputs["enabled"]
    imds = baseline.one("aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults")
    assert (
        imds.inputs["httpTokens"],
        imds.inputs["httpPutResponseHopLimit"],
        imds.inputs["instanceMetadataTags"],
    ) == ("required", 1, "disabled")


def test_service_linked_roles_for_node_volumes_and_spot_capacity(baseline):
    services = sorted(
        r.inputs["awsServiceName"]
        for r in baseline.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    )
    assert services == ["autoscaling.amazonaws.com", "spot.amazonaws.com"]
