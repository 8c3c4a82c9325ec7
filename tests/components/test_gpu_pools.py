"""GpuPools: node classes and pools per environment pool, and the isolated device plugin."""

from __future__ import annotations

from collections import Counter

import pytest

from components.catalog import AMI_ALIAS, EFA_DEVICE_PLUGIN_VERSION, NVIDIA_DEVICE_PLUGIN_VERSION
from components.gpu_pools import GpuPool, GpuPools, GpuPoolsArgs, validate_gpu_pools_args
from tests.components.builders import STORAGE_KEY, kubernetes

POOLS = [
    GpuPool(
        name="training",
        workload="training",
        instance_families=["g6e"],
        capacity_types=["spot", "on-demand"],
        gpu_limit=8,
    ),
    GpuPool(
        name="inference",
        workload="inference",
        instance_types=["g6.xlarge"],
        capacity_types=["on-demand"],
        gpu_limit=4,
        labels={"team": "serving"},
    ),
    GpuPool(
        name="fabric",
        workload="training",
        instance_families=["g6e"],
        capacity_types=["on-demand"],
        gpu_limit=16,
        efa=True,
    ),
]


def args(**overrides):
    values = {
        "cluster_name": "mlplat-staging",
        "node_role_name": "mlplat-staging-karpenter-node",
        "storage_key_arn": STORAGE_KEY,
        "ami_alias": AMI_ALIAS,
        "device_plugin_version": NVIDIA_DEVICE_PLUGIN_VERSION,
        "efa_plugin_version": EFA_DEVICE_PLUGIN_VERSION,
        "pools": POOLS,
        "kubernetes_provider": None,
    }
    values.update(overrides)
    return GpuPoolsArgs(**values)


@pytest.fixture(scope="module")
def gpu():
    from tests.recording import record

    def build():
        GpuPools("gpu", args(kubernetes_provider=kubernetes()))

    return record(build)


def test_children(gpu):
    component = gpu.one("mlplat:gpu:GpuPools")
    assert gpu.child_types(component.urn) == Counter(
        {
            "kubernetes:core/v1:Namespace": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 1,
            "kubernetes:helm.sh/v4:Chart": 2,
            "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": 3,
            "kubernetes:karpenter.sh/v1:NodePool": 3,
        }
    )


def test_node_pools_scale_from_zero_to_their_limit_with_the_gpu_taint(gpu):
    pools = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in gpu.of_type("kubernetes:karpenter.sh/v1:NodePool")
    }
    training, inference = pools["gpu-training"], pools["gpu-inference"]
    assert training["limits"] == {"nvidia.com/gpu": 8, "cpu": 192}
    assert inference["limits"] == {"nvidia.com/gpu": 4, "cpu": 96}
    for spec in pools.values():
        assert spec["template"]["spec"]["taints"] == [
            {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
        ]
        assert spec["template"]["spec"]["expireAfter"] == "720h"
        assert "replicas" not in spec  # no static capacity: zero nodes until a pod asks
    # A running job's node is never consolidated or replaced for drift: only once empty.
    assert training["disruption"] == {
        "consolidationPolicy": "WhenEmpty",
        "consolidateAfter": "10m",
        "budgets": [{"nodes": "0", "reasons": ["Drifted"]}],
    }
    assert inference["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    requirements = {r["key"]: r["values"] for r in training["template"]["spec"]["requirements"]}
    assert requirements["karpenter.k8s.aws/instance-family"] == ["g6e"]
    assert requirements["karpenter.sh/capacity-type"] == ["spot", "on-demand"]
    inference_keys = {r["key"] for r in inference["template"]["spec"]["requirements"]}
    assert "node.kubernetes.io/instance-type" in inference_keys
    assert inference["template"]["metadata"]["labels"]["team"] == "serving"


def test_node_classes_are_pinned_hardened_and_encrypted(gpu):
    for node_class in gpu.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        spec = node_class.inputs["spec"]
        assert spec["amiSelectorTerms"] == [{"alias": AMI_ALIAS}]
        assert spec["role"] == "mlplat-staging-karpenter-node"
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
        (root,) = spec["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] is True and root["ebs"]["kmsKeyID"] == STORAGE_KEY
        assert spec["subnetSelectorTerms"] == [
            {"tags": {"karpenter.sh/discovery": "mlplat-staging"}}
        ]
        assert "accept-nvidia-visible-devices-envvar-when-unprivileged = false" in spec["userData"]


def test_device_plugin_is_pinned_isolated_and_in_its_own_namespace(gpu):
    chart = gpu.one("kubernetes:helm.sh/v4:Chart", "gpu-device-plugin").inputs
    assert (chart["chart"], chart["version"]) == (
        "nvidia-device-plugin",
        NVIDIA_DEVICE_PLUGIN_VERSION,
    )
    assert chart["values"]["deviceListStrategy"] == "volume-mounts"
    # Volume mounts need CAP_SYS_ADMIN; the chart would add it and keep every default capability.
    assert chart["values"]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
    }
    assert chart["values"]["podSecurityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert chart["values"]["resources"] == {
        "requests": {"cpu": "10m", "memory": "64Mi"},
        "limits": {"cpu": "100m", "memory": "256Mi"},
    }
    assert chart["values"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    namespace = gpu.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    assert namespace["labels"] == {"pod-security.kubernetes.io/enforce": "privileged"}
    policy = gpu.one("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"]
    assert policy == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_an_efa_pool_keeps_only_efa_sizes_and_gets_the_efa_plugin(gpu):
    pools = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in gpu.of_type("kubernetes:karpenter.sh/v1:NodePool")
    }
    fabric = pools["gpu-fabric"]["template"]
    assert fabric["spec"]["requirements"][0] == {
        "key": "node.kubernetes.io/instance-type",
        "operator": "In",
        "values": [
            f"g6e.{size}" for size in ("12xlarge", "16xlarge", "24xlarge", "48xlarge", "8xlarge")
        ],
    }
    assert fabric["metadata"]["labels"]["mlplat.io/efa"] == "true"
    assert "mlplat.io/efa" not in pools["gpu-training"]["template"]["metadata"]["labels"]
    chart = gpu.one("kubernetes:helm.sh/v4:Chart", "gpu-efa-device-plugin").inputs
    assert (chart["chart"], chart["version"], chart["namespace"]) == (
        "aws-efa-k8s-device-plugin",
        EFA_DEVICE_PLUGIN_VERSION,
        "kube-system",
    )
    assert chart["values"] == {
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "nodeSelector": {"mlplat.io/efa": "true"},
        "resources": {
            "requests": {"cpu": "10m", "memory": "64Mi"},
            "limits": {"cpu": "100m", "memory": "256Mi"},
        },
    }


def test_no_efa_pool_no_efa_plugin(record):
    def build():
        GpuPools(
            "gpu",
            args(pools=[POOLS[1]], kubernetes_provider=kubernetes()),
        )

    charts = record(build).of_type("kubernetes:helm.sh/v4:Chart")
    assert [c.inputs["chart"] for c in charts] == ["nvidia-device-plugin"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"pools": [POOLS[0], POOLS[0]]},
            "pools: got names ['training', 'training']; expected each once",
        ),
        (
            {
                "pools": [
                    GpuPool(name="x", workload="training", capacity_types=["spot"], gpu_limit=1)
                ]
            },
            "pools[x]: instance_families or instance_types (choose one)",
        ),
        (
            {
                "pools": [
                    GpuPool(
                        name="x",
                        workload="training",
                        instance_types=["g6.xlarge"],
                        capacity_types=["spot"],
                        gpu_limit=1,
                        efa=True,
                    )
                ]
            },
            "pools[x].efa: no instance type of the pool has an EFA",
        ),
        (
            {"ami_alias": "al2023@latest"},
            "ami_alias: got 'al2023@latest'; expected a pinned al2023@vYYYYMMDD",
        ),
    ],
)
def test_validation(overrides, expected):
    assert validate_gpu_pools_args(args(**overrides)) == [expected]
