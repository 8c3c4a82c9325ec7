"""GPU capacity from the environment's pools: an EC2NodeClass and a NodePool per pool (zero nodes
until a pod asks, never more GPUs than the pool's limit), and the NVIDIA device plugin in its own
namespace, handing GPUs to containers as volume mounts only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.args import arg, component_args
from components.catalog import EFA_GPU_INSTANCE_TYPES
from components.karpenter import node_class_spec, pool_spec
from components.namespaces import RUNTIME_DEFAULT_SECCOMP, default_deny

GPU = "nvidia.com/gpu"
PLUGIN_NAMESPACE = "nvidia-device-plugin"
PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
EFA_PLUGIN_REPO = "https://aws.github.io/eks-charts"
EFA_NODE_LABEL = "mlplat.io/efa"
# Every GPU node carries its pool's name: what Kueue's flavor for the pool selects.
POOL_LABEL = "mlplat.io/gpu-pool"
WORKLOAD_LABEL = "mlplat.io/workload"
# The plugins' own footprint is a few tens of MiB; the limits keep a leak on a GPU node from
# starving the training pods beside it.
PLUGIN_RESOURCES = {
    "requests": {"cpu": "10m", "memory": "64Mi"},
    "limits": {"cpu": "100m", "memory": "256Mi"},
}
# vCPUs a pool may hold per GPU at most (g6e.48xlarge: 192 vCPUs for 8 GPUs).
CPU_PER_GPU = 24
# The AMI's NVIDIA container toolkit must agree with the plugin: GPUs reach a container only
# through the plugin's volume mounts, never through NVIDIA_VISIBLE_DEVICES in an unprivileged pod.
TOOLKIT_SETTINGS = {
    "accept-nvidia-visible-devices-envvar-when-unprivileged": "false",
    "accept-nvidia-visible-devices-as-volume-mounts": "true",
}
TOOLKIT_USER_DATA = "\n".join(
    [
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="MLPLAT"',
        "",
        "--MLPLAT",
        'Content-Type: text/x-shellscript; charset="us-ascii"',
        "",
        "#!/bin/bash",
        "set -euo pipefail",
        "config=/etc/nvidia-container-runtime/config.toml",
        *(
            f"sed -i -E 's/^#?\\s*{key}\\s*=.*/{key} = {value}/' \"$config\""
            for key, value in TOOLKIT_SETTINGS.items()
        ),
        "--MLPLAT--",
        "",
    ]
)


@component_args
class GpuPool:
    name: str
    workload: Literal["training", "inference"]
    instance_families: Sequence[str] = ()
    instance_types: Sequence[str] = ()
    capacity_types: Sequence[str]
    gpu_limit: int
    labels: Mapping[str, str] = field(default_factory=dict)
    efa: bool = False


def efa_instance_types(families: Sequence[str], types: Sequence[str]) -> list[str]:
    """The sizes of these families (or these types) that have an EFA."""
    return sorted(t for t in EFA_GPU_INSTANCE_TYPES if t in types or t.split(".", 1)[0] in families)


@component_args
class GpuPoolsArgs:
    cluster_name: str = arg("the cluster: subnets and security groups are selected by its tags")
    node_role_name: pulumi.Input[str] = arg("Karpenter's node role (the node class's `role`)")
    storage_key_arn: pulumi.Input[str] = arg("KMS key of the nodes' volumes")
    ami_alias: str = arg("pinned EKS AL2023 release, from the catalog (`al2023@vYYYYMMDD`)")
    device_plugin_version: str = arg("pinned NVIDIA device plugin chart, from the catalog")
    efa_plugin_version: str = arg("pinned AWS EFA device plugin chart, from the catalog")
    pools: Sequence[GpuPool] = arg("the environment's GPU pools")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def disruption(workload: str) -> dict:
    """Inference nodes are consolidated as soon as they idle or shrink; a training node only once
    empty, so a running job is never moved (what `karpenter.sh/do-not-disrupt` on each training
    pod would do, without relying on every team's pods carrying it)."""
    if workload == "training":
        # Nor for drift (a new AMI): the node keeps its job until it empties, then goes.
        return {
            "consolidationPolicy": "WhenEmpty",
            "consolidateAfter": "10m",
            "budgets": [{"nodes": "0", "reasons": ["Drifted"]}],
        }
    return {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"}


def node_pool_spec(pool: GpuPool, node_class: str) -> dict:
    if pool.efa:
        # Only the sizes with an EFA; Karpenter attaches the interfaces when pods request
        # `vpc.amazonaws.com/efa`, and the device plugin hands them to containers.
        shape = {
            "key": "node.kubernetes.io/instance-type",
            "operator": "In",
            "values": efa_instance_types(pool.instance_families, pool.instance_types),
        }
    elif pool.instance_families:
        shape = {
            "key": "karpenter.k8s.aws/instance-family",
            "operator": "In",
            "values": list(pool.instance_families),
        }
    else:
        shape = {
            "key": "node.kubernetes.io/instance-type",
            "operator": "In",
            "values": list(pool.instance_types),
        }
    return pool_spec(
        node_class=node_class,
        labels={
            **pool.labels,
            WORKLOAD_LABEL: pool.workload,
            POOL_LABEL: pool.name,
            "nvidia.com/gpu.present": "true",
            **({EFA_NODE_LABEL: "true"} if pool.efa else {}),
        },
        selector=shape,
        capacity_types=pool.capacity_types,
        limits={GPU: pool.gpu_limit, "cpu": pool.gpu_limit * CPU_PER_GPU},
        disruption=disruption(pool.workload),
        taints=[{"key": GPU, "value": "true", "effect": "NoSchedule"}],
    )


def validate_gpu_pools_args(args: GpuPoolsArgs) -> list[str]:
    problems = []
    names = [p.name for p in args.pools]
    if len(set(names)) != len(names):
        problems.append(f"pools: got names {names}; expected each once")
    for pool in args.pools:
        if bool(pool.instance_families) == bool(pool.instance_types):
            problems.append(f"pools[{pool.name}]: instance_families or instance_types (choose one)")
        if pool.efa and not efa_instance_types(pool.instance_families, pool.instance_types):
            problems.append(f"pools[{pool.name}].efa: no instance type of the pool has an EFA")
        if pool.gpu_limit < 1:
            problems.append(f"pools[{pool.name}].gpu_limit: got {pool.gpu_limit}; expected >= 1")
    if not args.ami_alias.startswith("al2023@v"):
        problems.append(f"ami_alias: got {args.ami_alias!r}; expected a pinned al2023@vYYYYMMDD")
    return problems


class GpuPools(pulumi.ComponentResource):
    """Node classes and pools per environment pool, and the device plugin."""

    def __init__(self, name: str, args: GpuPoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:gpu:GpuPools", name, None, opts)
        problems = validate_gpu_pools_args(args)
        if problems:
            raise ValueError(f"GpuPools {name}: " + "; ".join(problems))
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-device-plugin",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=PLUGIN_NAMESPACE,
                # The plugin mounts the kubelet's device-plugin socket (a host path): GPU system
                # components get `privileged` in their own namespace, workloads stay `restricted`.
                labels={"pod-security.kubernetes.io/enforce": "privileged"},
            ),
            opts=on_cluster,
        )
        default_deny(
            f"{name}-device-plugin-default-deny",
            PLUGIN_NAMESPACE,
            pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
            ),
        )
        k8s.helm.v4.Chart(
            f"{name}-device-plugin",
            name="nvidia-device-plugin",
            chart="nvidia-device-plugin",
            version=args.device_plugin_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=PLUGIN_REPO),
            namespace=PLUGIN_NAMESPACE,
            values={
                "deviceListStrategy": "volume-mounts",
                "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                # Volume-mount device lists need CAP_SYS_ADMIN, and the chart then adds it
                # without dropping the rest: keep SYS_ADMIN only. The API server refuses
                # allowPrivilegeEscalation=false only beside "CAP_SYS_ADMIN", not "SYS_ADMIN",
                # as DCGM's chart relies on; RuntimeDefault seccomp still allows the syscalls
                # that CAP_SYS_ADMIN gates (containerd's default profile is capability-aware).
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
                },
                "podSecurityContext": RUNTIME_DEFAULT_SECCOMP,
                "resources": PLUGIN_RESOURCES,
            },
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
            ),
        )

        if any(pool.efa for pool in args.pools):
            # EFA needs a security group open to itself: the EKS cluster group the node class
            # selects is. kube-system, where AWS installs the plugin, already runs node agents.
            k8s.helm.v4.Chart(
                f"{name}-efa-device-plugin",
                name="aws-efa-k8s-device-plugin",
                chart="aws-efa-k8s-device-plugin",
                version=args.efa_plugin_version,
                repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=EFA_PLUGIN_REPO),
                namespace="kube-system",
                values={
                    "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
                    "nodeSelector": {EFA_NODE_LABEL: "true"},
                    "resources": PLUGIN_RESOURCES,
                },
                opts=on_cluster,
            )

        self.node_pools: dict[str, k8s.apiextensions.CustomResource] = {}
        for pool in args.pools:
            node_class = k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}-class",
                api_version="karpenter.k8s.aws/v1",
                kind="EC2NodeClass",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"gpu-{pool.name}"),
                spec=pulumi.Output.all(args.node_role_name, args.storage_key_arn).apply(
                    lambda parts: node_class_spec(
                        cluster_name=args.cluster_name,
                        role=parts[0],
                        key_arn=parts[1],
                        ami_alias=args.ami_alias,
                        volume_size="200Gi",  # model weights and CUDA images
                        user_data=TOOLKIT_USER_DATA,
                    )
                ),
                opts=on_cluster,
            )
            self.node_pools[pool.name] = k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"gpu-{pool.name}"),
                spec=node_pool_spec(pool, f"gpu-{pool.name}"),
                opts=pulumi.ResourceOptions.merge(
                    on_cluster, pulumi.ResourceOptions(depends_on=[node_class])
                ),
            )
        self.register_outputs({"node_pools": sorted(self.node_pools)})
