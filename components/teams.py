"""Per-team tenancy: a namespace each team cannot leave, sized by a quota (GPUs included),
isolated by default-deny networking, and a Pod Identity role that reaches the team's registry
prefix and the approved models, nothing of the other teams.

The namespace is `team-<name>`, annotated with its owner the way Kubeflow's profile controller
expects to adopt it; the role is bound to `default-editor`, the service account Kubeflow gives
a profile's notebooks and pipelines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.args import arg
from components.mlflow_server import NAMESPACE as MLFLOW_NAMESPACE
from components.mlflow_server import PORT as MLFLOW_PORT
from components.namespaces import default_deny, namespace_peer, pod_security, ports, workload_egress
from components.registry import APPROVED_PREFIX, ModelRegistry
from components.workload_role import WorkloadRole, WorkloadRoleArgs

GPU = "nvidia.com/gpu"
TEAM_SERVICE_ACCOUNT = "default-editor"
# What a container gets when it names no resources: small, so the quota is spent on purpose.
CONTAINER_DEFAULTS = {"cpu": "500m", "memory": "1Gi"}


@dataclass(frozen=True, kw_only=True)
class Team:
    name: str
    owners: Sequence[str]
    gpu_quota: int
    cpu_quota: str
    memory_quota: str


@dataclass(frozen=True, kw_only=True)
class TeamsArgs:
    teams: Sequence[Team] = arg("the environment's teams")
    name_prefix: str = arg("`mlplat-<env>`: the teams' roles are `<prefix>-team-<name>`")
    account_id: str = arg("the environment's account")
    cluster_name: pulumi.Input[str] = arg("the EKS cluster (Pod Identity associations)")
    cluster_arn: pulumi.Input[str] = arg("the cluster's ARN: only its Pod Identity agent assumes")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def namespace_of(team: Team) -> str:
    return f"team-{team.name}"


def registry_prefix(team: Team) -> str:
    return f"teams/{team.name}/"


def quota(team: Team) -> dict[str, str]:
    """Requests and limits of CPU and memory, GPUs, and no way to expose a service publicly."""
    return {
        "requests.cpu": team.cpu_quota,
        "limits.cpu": team.cpu_quota,
        "requests.memory": team.memory_quota,
        "limits.memory": team.memory_quota,
        f"requests.{GPU}": str(team.gpu_quota),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }


def team_network_policy() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Pods talk to each other within the team and to MLflow, plus what every workload needs;
    nothing of another team reaches in."""
    net = k8s.networking.v1
    same_team = net.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())
    return net.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(),
        policy_types=["Ingress", "Egress"],
        ingress=[net.NetworkPolicyIngressRuleArgs(from_=[same_team])],
        egress=[
            net.NetworkPolicyEgressRuleArgs(to=[same_team]),
            net.NetworkPolicyEgressRuleArgs(
                to=[namespace_peer(MLFLOW_NAMESPACE)], ports=ports(MLFLOW_PORT)
            ),
            *workload_egress(),
        ],
    )


class Teams(pulumi.ComponentResource):
    """Per team: namespace, quota, limit range, network policies, role with registry grants."""

    def __init__(
        self,
        name: str,
        args: TeamsArgs,
        registry: ModelRegistry,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("mlplat:teams:Teams", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        self.namespaces: list[str] = []
        for team in args.teams:
            ns = namespace_of(team)
            namespace = k8s.core.v1.Namespace(
                f"{name}-{team.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns,
                    labels={**pod_security("restricted"), "mlplat.io/team": team.name},
                    annotations={"owner": team.owners[0]},
                ),
                opts=on_cluster,
            )
            inside = pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
            )
            k8s.core.v1.ResourceQuota(
                f"{name}-{team.name}-quota",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="team-quota", namespace=ns),
                spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota(team)),
                opts=inside,
            )
            k8s.core.v1.LimitRange(
                f"{name}-{team.name}-defaults",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="container-defaults", namespace=ns),
                spec=k8s.core.v1.LimitRangeSpecArgs(
                    limits=[
                        k8s.core.v1.LimitRangeItemArgs(
                            type="Container",
                            default=CONTAINER_DEFAULTS,
                            default_request=CONTAINER_DEFAULTS,
                        )
                    ]
                ),
                opts=inside,
            )
            default_deny(f"{name}-{team.name}-default-deny", ns, inside)
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{team.name}-allow",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="team", namespace=ns),
                spec=team_network_policy(),
                opts=inside,
            )
            role = WorkloadRole(
                f"{name}-{team.name}",
                WorkloadRoleArgs(
                    account_id=args.account_id,
                    cluster_name=args.cluster_name,
                    cluster_arn=args.cluster_arn,
                    role_name=f"{args.name_prefix}-team-{team.name}",
                    namespace=ns,
                    service_account=TEAM_SERVICE_ACCOUNT,
                    permissions_boundary_arn=args.permissions_boundary_arn,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            registry.grant_write(role.role, registry_prefix(team))
            registry.grant_read(role.role, APPROVED_PREFIX)
            self.namespaces.append(ns)
        self.register_outputs({"namespaces": self.namespaces})
