"""Karpenter: controller role (reference policy, scoped), interruption queue, node role, chart."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.catalog import KARPENTER_VERSION
from components.karpenter import INTERRUPTION_EVENTS, Karpenter, KarpenterArgs
from tests.components.builders import BOUNDARY, STORAGE_KEY, kubernetes
from tests.recording import ACCOUNT, REGION, policy


def args(**overrides) -> KarpenterArgs:
    values = {
        "cluster_name": "mlplat-staging",
        "name_prefix": "mlplat-staging",
        "account_id": ACCOUNT,
        "region": REGION,
        "chart_version": KARPENTER_VERSION,
        "storage_key_arn": STORAGE_KEY,
        "permissions_boundary_arn": BOUNDARY,
        "kubernetes_provider": kubernetes(),
    }
    values.update(overrides)
    return KarpenterArgs(**values)


@pytest.fixture(scope="module")
def karpenter():
    from tests.recording import record

    return record(lambda: Karpenter("karpenter", args()))


def test_children(karpenter):
    component = karpenter.one("mlplat:karpenter:Karpenter")
    assert karpenter.child_types(component.urn) == Counter(
        {
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
            "aws:eks/accessEntry:AccessEntry": 1,
            "aws:sqs/queue:Queue": 1,
            "aws:sqs/queuePolicy:QueuePolicy": 1,
            "aws:cloudwatch/eventRule:EventRule": 4,
            "aws:cloudwatch/eventTarget:EventTarget": 4,
            "mlplat:iam:WorkloadRole": 1,
            "kubernetes:helm.sh/v4:Chart": 1,
        }
    )


def test_controller_policy_follows_upstream_scoped_to_this_cluster(karpenter):
    statements = {
        s["Sid"]: s
        for s in policy(karpenter.one("aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    }
    assert len(statements) == 17
    assert statements["AllowVolumesWithTheStorageKey"]["Resource"] == [STORAGE_KEY]
    assert statements["AllowVolumesWithTheStorageKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"}
    }
    for statement in statements.values():
        assert all(a != "*" and not a.endswith(":*") for a in statement["Action"])
    # Resource "*" only where AWS offers no resource to scope to.
    assert sorted(sid for sid, s in statements.items() if s["Resource"] == ["*"]) == [
        "AllowPricingReadActions",
        "AllowRegionalReadActions",
    ]
    tagged = statements["AllowScopedEC2InstanceActionsWithTags"]["Condition"]["StringEquals"]
    assert tagged == {"aws:RequestTag/kubernetes.io/cluster/mlplat-staging": "owned"}
    node_role = karpenter.one("aws:iam/role:Role", "karpenter-node")
    assert statements["AllowPassingInstanceRole"]["Resource"] == [node_role.outputs["arn"]]
    assert statements["AllowScopedInstanceProfileActions"]["Resource"] == [
        f"arn:aws:iam::{ACCOUNT}:instance-profile/*"
    ]
    queue = karpenter.one("aws:sqs/queue:Queue")
    assert statements["AllowInterruptionQueueActions"]["Resource"] == [queue.outputs["arn"]]
    association = karpenter.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "kube-system",
        "karpenter",
    )


def test_interruption_queue_is_encrypted_tls_only_and_fed_by_the_four_rules(karpenter):
    queue = karpenter.one("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 300
    send, tls = policy(karpenter.one("aws:sqs/queuePolicy:QueuePolicy"), "policy")["Statement"]
    assert send["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert tls["Effect"] == "Deny" and tls["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    patterns = sorted(
        json.loads(r.inputs["eventPattern"])["detail-type"][0]
        for r in karpenter.of_type("aws:cloudwatch/eventRule:EventRule")
    )
    assert patterns == sorted(p["detail-type"][0] for p in INTERRUPTION_EVENTS.values())
    for target in karpenter.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        assert target.inputs["arn"] == queue.outputs["arn"]


def test_node_role_is_bounded_node_only_and_joins_through_an_access_entry(karpenter):
    role = karpenter.one("aws:iam/role:Role", "karpenter-node")
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    attached = sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in karpenter.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonSSMManagedInstanceCore",
    ]
    entry = karpenter.one("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX"
    assert entry.inputs["principalArn"] == role.outputs["arn"]


def test_chart_is_pinned_from_oci_and_runs_on_the_system_nodes(karpenter):
    chart = karpenter.one("kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert chart.inputs["version"] == KARPENTER_VERSION
    values = chart.inputs["values"]
    assert values["settings"] == {
        "clusterName": "mlplat-staging",
        "interruptionQueue": "mlplat-staging-karpenter",
    }
    assert values["nodeSelector"] == {"mlplat.io/node-class": "system"}
    assert values["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
    ]
    # Installed only once its role can be assumed (the chart is a provider-side component: its
    # provider travels in `providers`, which the state of a component does not record).
    association = karpenter.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.urn in chart.dependencies


def test_names_come_from_the_name_prefix_never_from_the_cluster_name(record):
    renamed = record(lambda: Karpenter("karpenter", args(cluster_name="ml-platform-blue")))
    named = [
        r.inputs["name"]
        for kind in (
            "aws:iam/role:Role",
            "aws:sqs/queue:Queue",
            "aws:cloudwatch/eventRule:EventRule",
        )
        for r in renamed.of_type(kind)
    ]
    assert len(named) == 7 and all(n.startswith("mlplat-staging-karpenter") for n in named), named
