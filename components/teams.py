"""Per-team tenancy: a Kubeflow Profile and the namespace it adopts, sized by a quota (GPUs
included), isolated by default-deny networking, and a Pod Identity role that reaches the team's
registry prefix and the approved models, nothing of the other teams.

The namespace is `team-<name>`, created here (labels, quota and policies exist before anyone
can schedule) and annotated with its first owner, so Kubeflow's profile controller adopts it
for the Profile of the same name; the other owners become admins the way Kubeflow's access
management adds contributors. The role is bound to `default-editor`, the service account
Kubeflow runs a profile's notebooks and pipelines as; pipeline artifacts go to the team's
registry prefix through that role (`kfp-launcher`). An admission policy refuses team pods that
tolerate the system nodes' taint (components/placement.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.admission import refuse_in_team_namespaces, resource_rule
from components.args import arg, component_args
from components.finops import TEAM_TAG
from components.gpu_pools import GPU
from components.kubeflow import ISTIO_NAMESPACE, USER_HEADER
from components.mlflow_server import NAMESPACE as MLFLOW_NAMESPACE
from components.mlflow_server import PORT as MLFLOW_PORT
from components.namespaces import default_deny, namespace_peer, pod_security, ports, workload_egress
from components.placement import TEAM_POD_TOLERATIONS_CEL, TEAM_POD_TOLERATIONS_MESSAGE
from components.registry import APPROVED_PREFIX, ModelRegistry
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

TEAM_SERVICE_ACCOUNT = "default-editor"
OFF_SYSTEM_NODES = "mlplat-team-pods-off-system-nodes"
# What a container gets when it names no resources: small, so the quota is spent on purpose.
CONTAINER_DEFAULTS = {"cpu": "500m", "memory": "1Gi"}


@component_args
class Team:
    name: str
    owners: Sequence[str]
    gpu_quota: int = arg(
        "the namespace's hard `requests.nvidia.com/gpu`: the team's Kueue nominal plus borrowing, "
        "a ceiling nothing admitted reaches past and nothing bypassing Kueue exceeds"
    )
    cpu_quota: str
    memory_quota: str


@component_args
class TeamsArgs:
    teams: Sequence[Team] = arg("the environment's teams")
    name_prefix: str = arg("`mlplat-<env>`: the teams' roles are `<prefix>-team-<name>`")
    pod_identity: PodIdentity = arg(
        "the cluster whose Pod Identity agent assumes its role, in this account, under the boundary"
    )
    region: str = arg("the environment's region (pipelines' S3 endpoint)")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def namespace_of(team: Team) -> str:
    return f"team-{team.name}"


def registry_prefix(team: Team) -> str:
    return f"teams/{team.name}/"


def pipeline_root(bucket: str, team: Team) -> str:
    return f"s3://{bucket}/{registry_prefix(team)}pipelines"


def launcher_config(bucket: str, region: str, team: Team) -> dict[str, str]:
    """Kubeflow Pipelines' per-namespace `kfp-launcher`: artifacts under the team's prefix,
    credentials from the pod's environment (the AWS SDK chain: its Pod Identity role)."""
    s3 = {
        "endpoint": f"s3.{region}.amazonaws.com",
        "region": region,
        "disableSSL": False,
        "credentials": {"fromEnv": True},
    }
    return {
        "defaultPipelineRoot": pipeline_root(bucket, team),
        "providers": yaml.safe_dump({"s3": {"default": s3}}, sort_keys=False),
    }


def contributor_name(email: str) -> str:
    """Kubeflow access management's name for a user's admin binding:
    `user-<e-mail, lowercase, other characters dashed>-clusterrole-admin`."""
    return f"user-{re.sub(r'[^a-z0-9]', '-', email.lower())}-clusterrole-admin"


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


# Who reaches into a team's namespace besides the team: the Istio gateways (notebooks, model
# endpoints), Knative's activator (scale-from-zero), Kubeflow's controllers and UIs, and
# Prometheus (the served models' metrics).
PLATFORM_CALLERS = (ISTIO_NAMESPACE, "knative-serving", "kubeflow", "monitoring")
ISTIOD_XDS_PORT = 15012
# In `kubeflow`: Pipelines' API (HTTP, gRPC), ML Metadata's gRPC, and the in-cluster object
# store (`minio-service`) where Argo archives the logs of a run's steps.
PIPELINES_PORTS = (8888, 8887, 8080, 9000)


def team_network_policy() -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Pods talk to each other within the team and to MLflow, plus what Kubeflow, Istio and
    every workload need; nothing of another team reaches in."""
    net = k8s.networking.v1
    same_team = net.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())
    return net.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(),
        policy_types=["Ingress", "Egress"],
        ingress=[
            net.NetworkPolicyIngressRuleArgs(from_=[same_team]),
            net.NetworkPolicyIngressRuleArgs(from_=[namespace_peer(n) for n in PLATFORM_CALLERS]),
        ],
        egress=[
            net.NetworkPolicyEgressRuleArgs(to=[same_team]),
            net.NetworkPolicyEgressRuleArgs(
                to=[namespace_peer(MLFLOW_NAMESPACE)], ports=ports(MLFLOW_PORT)
            ),
            net.NetworkPolicyEgressRuleArgs(
                to=[namespace_peer(ISTIO_NAMESPACE)], ports=ports(ISTIOD_XDS_PORT)
            ),
            net.NetworkPolicyEgressRuleArgs(
                to=[namespace_peer("kubeflow")], ports=ports(*PIPELINES_PORTS)
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
        self._keep_off_system_nodes(name, on_cluster)
        self.namespaces: list[str] = []
        for team in args.teams:
            ns = namespace_of(team)
            namespace = k8s.core.v1.Namespace(
                f"{name}-{team.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns,
                    labels={**pod_security("restricted"), TEAM_TAG: team.name},
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
                    pod_identity=args.pod_identity,
                    role_name=f"{args.name_prefix}-team-{team.name}",
                    namespace=ns,
                    service_account=TEAM_SERVICE_ACCOUNT,
                    tags={TEAM_TAG: team.name},
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            registry.grant_write(role.role, registry_prefix(team))
            registry.grant_read(role.role, APPROVED_PREFIX)
            self._kubeflow_tenancy(name, team, args.region, registry, inside)
            self.namespaces.append(ns)
        self.register_outputs({"namespaces": self.namespaces})

    def _keep_off_system_nodes(self, name: str, on_cluster: pulumi.ResourceOptions) -> None:
        """Refuse, in every team namespace, a pod that tolerates the system nodes' taint."""
        refuse_in_team_namespaces(
            f"{name}-pods-off-system-nodes",
            policy_name=OFF_SYSTEM_NODES,
            rules=[resource_rule("", "v1", "pods")],
            validations=[(TEAM_POD_TOLERATIONS_CEL, TEAM_POD_TOLERATIONS_MESSAGE)],
            opts=on_cluster,
        )

    def _kubeflow_tenancy(
        self,
        name: str,
        team: Team,
        region: str,
        registry: ModelRegistry,
        inside: pulumi.ResourceOptions,
    ) -> None:
        """The Profile that adopts the namespace, admin access for the other owners, and where
        the team's pipelines keep their artifacts."""
        ns, custom = namespace_of(team), k8s.apiextensions.CustomResource
        custom(
            f"{name}-{team.name}-profile",
            api_version="kubeflow.org/v1",
            kind="Profile",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns),
            spec={"owner": {"kind": "User", "name": team.owners[0]}},
            opts=inside,
        )
        for owner in team.owners[1:]:
            binding = contributor_name(owner)
            annotations = {"user": owner, "role": "admin"}
            k8s.rbac.v1.RoleBinding(
                f"{name}-{team.name}-{binding}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=binding, namespace=ns, annotations=annotations
                ),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="kubeflow-admin"
                ),
                subjects=[
                    k8s.rbac.v1.SubjectArgs(
                        api_group="rbac.authorization.k8s.io", kind="User", name=owner
                    )
                ],
                opts=inside,
            )
            custom(
                f"{name}-{team.name}-{binding}-access",
                api_version="security.istio.io/v1",
                kind="AuthorizationPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=binding, namespace=ns, annotations=annotations
                ),
                spec={
                    "action": "ALLOW",
                    "rules": [
                        {"when": [{"key": f"request.headers[{USER_HEADER}]", "values": [owner]}]}
                    ],
                },
                opts=inside,
            )
        k8s.core.v1.ConfigMap(
            f"{name}-{team.name}-kfp-launcher",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="kfp-launcher", namespace=ns),
            data=registry.bucket_name.apply(lambda bucket: launcher_config(bucket, region, team)),
            opts=inside,
        )
