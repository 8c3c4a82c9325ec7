"""The synthesis engine's pure parts: state encoding, ordering, manifests, the mock provider."""

from __future__ import annotations

import json
import random

import pulumi
import pulumi_aws as aws
import yaml

from mlplat.mock_cloud import AUTONAMED, MockCloud, digest, has_property, parse_default_tags
from mlplat.synth import (
    WITHHELD,
    Record,
    _engine_order,
    kubernetes_manifests,
    stack_config,
)
from tests.recording import ACCOUNT, AZS, REGION, record


def test_secrets_are_withheld_from_the_state():
    recording = record(
        lambda: aws.ssm.Parameter(
            "token", type="SecureString", value=pulumi.Output.secret("hunter2-plaintext")
        )
    )
    state = json.dumps(recording.one("aws:ssm/parameter:Parameter").to_state())
    assert "hunter2-plaintext" not in state
    assert WITHHELD in state
    assert '"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"' in state


def test_engine_order_is_topological_and_independent_of_registration_order():
    stack = Record(urn="s", type="pulumi:pulumi:Stack", custom=False)
    provider = Record(urn="p", type="pulumi:providers:aws", custom=True, id="1", parent="s")
    component = Record(urn="c", type="mlplat:x:X", custom=False, parent="s")
    a = Record(urn="a", type="t", custom=True, parent="c", provider="p::1")
    b = Record(urn="b", type="t", custom=True, parent="c", provider="p::1", dependencies=["z"])
    z = Record(urn="z", type="t", custom=True, parent="c", provider="p::1")
    records = [stack, provider, component, a, b, z]
    orders = set()
    for seed in range(10):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        orders.add(tuple(_engine_order({r.urn: r for r in shuffled})))
    assert orders == {("s", "c", "p", "a", "z", "b")}


def test_kubernetes_objects_render_to_one_yaml_file_each():
    state = {
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:dev::mlplat::kubernetes:core/v1:Namespace::team-a",
                    "type": "kubernetes:core/v1:Namespace",
                    "custom": True,
                    "inputs": {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": "team-a"},
                    },
                },
                {
                    "urn": "urn:pulumi:dev::mlplat::kubernetes:helm.sh/v3:Release::prom",
                    "type": "kubernetes:helm.sh/v3:Release",
                    "custom": True,
                    "inputs": {"chart": "kube-prometheus-stack"},
                },
            ]
        }
    }
    files = kubernetes_manifests(state)
    assert list(files) == ["namespace-cluster-team-a.yaml"]
    assert yaml.safe_load(files["namespace-cluster-team-a.yaml"])["metadata"]["name"] == "team-a"


def test_stack_config_is_passed_as_the_cli_passes_it():
    assert stack_config({"a:b": "x", "a:c": {"k": [1]}, "a:d": ["aws"]}) == {
        "a:b": "x",
        "a:c": '{"k": [1]}',
        "a:d": '["aws"]',
    }


def test_mock_check_autonames_and_merges_default_tags():
    cloud = MockCloud(account_id=ACCOUNT, region=REGION, availability_zones=AZS)
    urn = "urn:pulumi:dev::mlplat::aws:iam/role:Role::r"
    checked = cloud.check(
        "aws:iam/role:Role",
        "r",
        urn,
        {"tags": {"Name": "x", "env": "dev"}},
        {"env": "prod", "o": "t"},
    )
    assert checked["name"] == f"r-{digest(urn, 7)}"
    assert checked["tagsAll"] == {"env": "dev", "o": "t", "Name": "x"}
    named = cloud.check("aws:iam/role:Role", "r", urn, {"name": "fixed"}, {})
    assert named["name"] == "fixed"
    untaggable = cloud.check("aws:ec2/route:Route", "r", urn, {}, {"env": "dev"})
    assert "tagsAll" not in untaggable
    assert set(AUTONAMED) >= {"aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup"}


def test_mock_outputs_are_realistic_for_this_account_and_region():
    cloud = MockCloud(account_id=ACCOUNT, region=REGION, availability_zones=AZS)
    urn = "urn:pulumi:dev::mlplat::aws:kms/key:Key::k"
    key_id, outputs = cloud.create("aws:kms/key:Key", "k", urn, {})
    assert outputs["arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    assert cloud.create("aws:kms/key:Key", "k", urn, {}) == (key_id, outputs)
    vpc_id, vpc = cloud.create("aws:ec2/vpc:Vpc", "v", "urn:v", {"cidrBlock": "10.0.0.0/16"})
    assert vpc_id.startswith("vpc-")
    assert len(vpc_id) == 21
    assert vpc["defaultSecurityGroupId"].startswith("sg-")
    assert vpc["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}"
    _, role = cloud.create("aws:iam/role:Role", "r", "urn:r", {"name": "r-1"})
    assert role["arn"] == f"arn:aws:iam::{ACCOUNT}:role/r-1"
    _, route = cloud.create("aws:ec2/route:Route", "r", "urn:route", {"routeTableId": "rtb-1"})
    assert "arn" not in route  # routes have no ARN in AWS either


def test_type_properties_come_from_the_pinned_sdk():
    assert has_property("aws:ec2/vpc:Vpc", "tags_all")
    assert not has_property("aws:ec2/route:Route", "tags_all")
    assert not has_property("aws:nosuch/thing:Thing", "arn")
    assert not has_property("kubernetes:core/v1:Namespace", "arn")


def test_provider_default_tags_are_read_from_json_encoded_config():
    assert parse_default_tags({"defaultTags": '{"tags": {"env": "dev"}}'}) == {"env": "dev"}
    assert parse_default_tags({}) == {}
