"""Placement: the platform's pods tolerate and prefer the system nodes; team pods cannot land
there; the transform for upstream manifests changes workloads only and keeps upstream's own
scheduling."""

from __future__ import annotations

import copy

import pulumi

from components.eks import SYSTEM_TAINT
from components.placement import (
    NODE_CLASS_LABEL,
    SYSTEM_TOLERATION,
    on_platform_nodes,
    place_on_platform_nodes,
    platform_placement,
)

PREFERENCE = {
    "weight": 100,
    "preference": {
        "matchExpressions": [{"key": NODE_CLASS_LABEL, "operator": "In", "values": ["system"]}]
    },
}


def deployment(**pod: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ml-pipeline", "namespace": "kubeflow"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}], **pod}}},
    }


def transform(type_: str, props: dict) -> pulumi.ResourceTransformResult | None:
    opts = pulumi.ResourceOptions(ignore_changes=["metadata"])
    return on_platform_nodes(pulumi.ResourceTransformArgs(True, type_, "kf", props, opts))


def test_the_toleration_matches_the_node_groups_taint():
    assert SYSTEM_TOLERATION["key"] == SYSTEM_TAINT["key"]
    assert SYSTEM_TOLERATION["effect"] == "NoSchedule" and SYSTEM_TAINT["effect"] == "NO_SCHEDULE"
    assert platform_placement() == {
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
        ],
        "affinity": {
            "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [PREFERENCE]}
        },
    }


def test_a_pod_without_placement_gets_the_toleration_and_the_preference():
    original = deployment()
    placed = place_on_platform_nodes(original)
    pod = placed["spec"]["template"]["spec"]
    assert pod["tolerations"] == [SYSTEM_TOLERATION]
    assert pod["affinity"]["nodeAffinity"] == {
        "preferredDuringSchedulingIgnoredDuringExecution": [PREFERENCE]
    }
    assert pod["containers"] == [{"name": "c", "image": "i"}]
    assert original == deployment()  # the input is not changed


def test_upstreams_tolerations_and_node_affinity_are_kept():
    own = {"key": "example.com/dedicated", "operator": "Exists"}
    affinity = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"x": 1}},
        "podAntiAffinity": {"y": 2},
    }
    placed = place_on_platform_nodes(
        deployment(tolerations=[own, SYSTEM_TOLERATION], affinity=copy.deepcopy(affinity))
    )
    pod = placed["spec"]["template"]["spec"]
    assert pod["tolerations"] == [own, SYSTEM_TOLERATION]  # not added twice
    assert pod["affinity"] == affinity


def test_the_transform_places_deployments_and_statefulsets_and_keeps_their_options():
    for type_ in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
        result = transform(type_, deployment())
        assert result is not None
        assert result.props["spec"]["template"]["spec"]["tolerations"] == [SYSTEM_TOLERATION]
        assert result.opts is not None and result.opts.ignore_changes == ["metadata"]


def test_the_transform_leaves_every_other_kind_alone():
    for type_ in (
        "kubernetes:core/v1:Service",
        "kubernetes:apps/v1:DaemonSet",  # node agents run everywhere already
        "kubernetes:batch/v1:Job",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    ):
        assert transform(type_, {"spec": {}}) is None
