"""Objects validated as the API server would: built-in kinds at the cluster's version (strict),
custom resources against the real pinned CRDs, with pruning and CEL rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlplat.k8s_schema import validate
from mlplat.kustomize import load_all

CRDS = Path(__file__).resolve().parents[2].parent / "shared" / "upstream" / "crds"


@pytest.fixture(scope="module")
def karpenter():
    return [d for p in sorted((CRDS / "karpenter" / "v1.14.1").glob("*.yaml")) for d in load_all(p.read_text())]  # fmt: skip


POOL = {
    "apiVersion": "karpenter.sh/v1",
    "kind": "NodePool",
    "metadata": {"name": "gpu-x"},
    "spec": {
        "template": {
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": "gpu-x",
                },
                "requirements": [
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}
                ],
            }
        },
        "limits": {"nvidia.com/gpu": 4},
        "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
    },
}


def messages(result):
    return [f"{f.source}: {f.message}" for f in result.findings]


def test_a_valid_pool_passes_with_its_cel_rules_evaluated(karpenter):
    result = validate([("pools", POOL)], karpenter)
    assert messages(result) == [] and result.custom == 1 and result.rules > 5


def test_a_misspelt_field_is_pruned_and_an_error(karpenter):
    typo = {**POOL, "spec": {**POOL["spec"], "limit": {"cpu": 1}}}
    assert messages(validate([("pools", typo)], karpenter)) == [
        "pools: NodePool gpu-x: .spec.limit: not in the schema; the API server would prune it"
    ]


def test_a_value_of_the_wrong_type_is_an_error(karpenter):
    wrong = {**POOL, "spec": {**POOL["spec"], "weight": "heavy"}}
    assert messages(validate([("pools", wrong)], karpenter)) == [
        "pools: NodePool gpu-x: 'heavy' is not of type 'integer' at .spec.weight"
    ]


def test_a_cel_rule_the_crd_carries_is_enforced(karpenter):
    # Karpenter refuses a requirement on a label it owns (a CEL rule on the requirement).
    bad = {"key": "karpenter.sh/nodepool", "operator": "In", "values": ["x"]}
    pool = {**POOL, "spec": {**POOL["spec"], "template": {"spec": {**POOL["spec"]["template"]["spec"], "requirements": [bad]}}}}  # fmt: skip
    (problem,) = messages(validate([("pools", pool)], karpenter))
    assert problem.startswith("pools: NodePool gpu-x: .spec.template.spec.requirements[0]") and "restricted" in problem, problem  # fmt: skip


def test_built_in_kinds_are_strict_at_the_cluster_version():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "two", "selector": {}, "template": {}}}  # fmt: skip
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}, "spek": {}}
    result = validate([("own", deployment), ("own", namespace)], [])
    assert result.objects == 2
    assert messages(result) == [
        "own: Deployment x: 'two' is not of type 'integer', 'null' at .spec.replicas",
        "own: Namespace a: Additional properties are not allowed ('spek' was unexpected) at the top level",
    ]


def test_a_custom_resource_without_its_crd_is_reported_not_passed():
    result = validate([("pools", POOL)], [])
    assert result.findings == [] and result.not_validated == ["pools: NodePool gpu-x: no CRD for karpenter.sh/v1 NodePool at hand"]  # fmt: skip
