"""General-purpose capacity for team work that needs no GPU (notebooks, pipeline steps, serving
routers), and for whatever platform service the system nodes cannot hold. A Karpenter NodePool
with no taint, from CPU families only (a GPU pod can never land here), bounded by a CPU limit,
consolidated when idle: with the platform on the system nodes, it is empty when nobody works."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.args import arg, component_args
from components.karpenter import node_class_spec, pool_spec

NAME = "general"


@component_args
class CpuPoolArgs:
    cluster_name: str = arg("the cluster: subnets and security groups are selected by its tags")
    node_role_name: pulumi.Input[str] = arg("Karpenter's node role")
    storage_key_arn: pulumi.Input[str] = arg("KMS key of the nodes' volumes")
    ami_alias: str = arg("pinned EKS AL2023 release, from the catalog")
    instance_families: Sequence[str] = arg("CPU instance families (m7i, c7i, r7i, ...)")
    capacity_types: Sequence[str] = arg("`spot` and/or `on-demand`")
    cpu_limit: int = arg("vCPUs the pool may hold at most: its cost ceiling")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def node_pool_spec(args: CpuPoolArgs) -> dict:
    return pool_spec(
        node_class=NAME,
        labels={"mlplat.io/workload": NAME},
        selector={
            "key": "karpenter.k8s.aws/instance-family",
            "operator": "In",
            "values": list(args.instance_families),
        },
        capacity_types=args.capacity_types,
        limits={"cpu": args.cpu_limit},
        disruption={"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"},
    )


class CpuPool(pulumi.ComponentResource):
    """An EC2NodeClass and a NodePool named `general`."""

    def __init__(self, name: str, args: CpuPoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:karpenter:CpuPool", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME),
            spec=pulumi.Output.all(args.node_role_name, args.storage_key_arn).apply(
                lambda parts: node_class_spec(
                    cluster_name=args.cluster_name,
                    role=parts[0],
                    key_arn=parts[1],
                    ami_alias=args.ami_alias,
                    volume_size="100Gi",
                )
            ),
            opts=on_cluster,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME),
            spec=node_pool_spec(args),
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[node_class])
            ),
        )
        self.register_outputs({})
