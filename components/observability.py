"""Metrics, alerts, dashboards and container logs: kube-prometheus-stack (Prometheus on an
encrypted volume, Alertmanager into the environment's encrypted topic, Grafana with a generated
admin password), NVIDIA's DCGM exporter for GPU metrics, the platform's alert rules and
dashboards as code, and Fluent Bit shipping every container's log to an encrypted CloudWatch
log group.

Node exporter stays off: it needs the host's network and PID namespaces, which the `monitoring`
namespace (Pod Security `restricted`) refuses; node health comes from the kubelet and
kube-state-metrics, GPU health from DCGM.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import policy_documents as docs
from components.alert_rules import InferenceSlo, alert_rules
from components.args import arg, component_args
from components.dashboards import dashboards
from components.finops import TEAM_TAG
from components.gpu_pools import GPU, PLUGIN_NAMESPACE
from components.namespaces import (
    POD_IDENTITY_AGENT,
    RUNTIME_DEFAULT_SECCOMP,
    default_deny,
    dns_egress,
    namespace_peer,
    pod_security,
    ports,
    to_cidr,
)
from components.placement import platform_placement
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

NAMESPACE = "monitoring"
STACK_REPO = "https://prometheus-community.github.io/helm-charts"
DCGM_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
ALERTMANAGER_SERVICE_ACCOUNT = "alertmanager"
# Node agents' namespace: Fluent Bit reads the nodes' /var/log (host paths).
GRAFANA_ADMIN_SECRET = "grafana-admin"
DCGM_PORT = 9400
OPERATOR_WEBHOOK_PORT = 10250
# The prometheus-operator's own rules select on this label (the chart's release label).
RULE_LABELS = {"release": "kube-prometheus-stack"}


@component_args
class ObservabilityArgs:
    stack_version: str = arg("kube-prometheus-stack chart version (catalog)")
    dcgm_version: str = arg("dcgm-exporter chart version (catalog)")
    dcgm_image_tag: str = arg("dcgm-exporter image tag (catalog)")
    retention_days: int = arg("how long Prometheus keeps samples")
    storage_gi: int = arg("Prometheus's volume, on the encrypted gp3 storage class")
    storage_class: str = arg("the cluster's encrypted storage class")
    slo: InferenceSlo = arg("the serving SLO the burn-rate alerts watch")
    gpu_hour_usd: float = arg("price of one GPU-hour (cost dashboard), from the price table")
    pod_identity: PodIdentity = arg(
        "the cluster whose Pod Identity agent assumes its role, in this account, under the boundary"
    )
    region: str = arg("the environment's region (SNS)")
    vpc_cidr: str = arg("the VPC range: the API server calls the operator's webhook from it")
    role_name: str = arg("`mlplat-<env>-alertmanager`")
    topic_arn: pulumi.Input[str] = arg("the environment's encrypted alarm topic")
    topic_key_arn: pulumi.Input[str] = arg("the topic's KMS key")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")
    random_provider: pulumi.ProviderResource = arg("generates Grafana's admin password")


def alertmanager_statements(topic_arn: str, key_arn: str, region: str) -> list[dict]:
    return [
        docs.allow(["sns:Publish"], [topic_arn], sid="PublishAlerts"),
        docs.allow(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [key_arn],
            sid="EncryptThroughSns",
            conditions={"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
        ),
    ]


def _resources(requests: tuple[str, str], limits: tuple[str, str]) -> dict[str, dict[str, str]]:
    """(cpu, memory) requests, which the scheduler and `mlplat cost` count, and limits."""
    return {
        "requests": {"cpu": requests[0], "memory": requests[1]},
        "limits": {"cpu": limits[0], "memory": limits[1]},
    }


def stack_values(args: ObservabilityArgs, topic_arn: str) -> dict[str, Any]:
    # Every workload of the stack on the system nodes (components/placement.py).
    limits = {"cpu": "2", "memory": "8Gi"}
    return {
        "fullnameOverride": "kube-prometheus-stack",
        # Host network and PID namespaces: refused by the restricted namespace (module doc).
        "nodeExporter": {"enabled": False},
        "kube-state-metrics": {
            # Labels the alerts and dashboards join on: GPU nodes and their pool, teams.
            "metricLabelsAllowlist": [
                "nodes=[nvidia.com/gpu.present,mlplat.io/gpu-pool]",
                f"namespaces=[{TEAM_TAG}]",
            ],
            **platform_placement(),
            "resources": _resources(("50m", "128Mi"), ("500m", "512Mi")),
        },
        "prometheusOperator": {
            # The webhook's certificate from cert-manager: the chart's own way (a Job hook that
            # creates the Secret) never runs, since the provider applies no Helm hooks, and the
            # operator would wait forever for the Secret it mounts.
            "admissionWebhooks": {"enabled": True, "certManager": {"enabled": True}},
            **platform_placement(),
            "resources": _resources(("100m", "128Mi"), ("500m", "512Mi")),
        },
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{args.retention_days}d",
                "retentionSize": f"{int(args.storage_gi * 0.9)}GiB",
                **platform_placement(),
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": limits},
                # Every ServiceMonitor, PodMonitor and rule of the cluster, not only the chart's.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": args.storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": f"{args.storage_gi}Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {
            # Alertmanager never calls the Kubernetes API: no token in its pods (its AWS
            # credentials come from Pod Identity's own projected token).
            "serviceAccount": {
                "name": ALERTMANAGER_SERVICE_ACCOUNT,
                "automountServiceAccountToken": False,
            },
            "alertmanagerSpec": {
                "automountServiceAccountToken": False,
                **platform_placement(),
                "resources": _resources(("50m", "128Mi"), ("500m", "512Mi")),
                "storage": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": args.storage_class,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "10Gi"}},
                        }
                    }
                },
            },
            # Every alert to the environment's encrypted topic, through the Pod Identity role.
            "config": {
                # `routes` empty: the chart's default routes name its `null` receiver, which
                # this list of receivers replaces (Helm replaces lists, merges maps).
                "route": {
                    "receiver": "sns",
                    "group_by": ["alertname", "namespace"],
                    "routes": [],
                },
                "receivers": [
                    {
                        "name": "sns",
                        "sns_configs": [{"topic_arn": topic_arn, "sigv4": {"region": args.region}}],
                    }
                ],
            },
        },
        "grafana": {
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "grafana.ini": {
                "auth.anonymous": {"enabled": False},
                "users": {"allow_sign_up": False},
                "security": {"cookie_secure": True, "disable_gravatar": True},
                "analytics": {"reporting_enabled": False, "check_for_updates": False},
            },
            "service": {"type": "ClusterIP"},
            **platform_placement(),
            "resources": _resources(("100m", "256Mi"), ("1", "1Gi")),
            "sidecar": {
                "dashboards": {"enabled": True, "label": "grafana_dashboard"},
                "resources": _resources(("50m", "64Mi"), ("200m", "256Mi")),
            },
        },
    }


def dcgm_values(image_tag: str) -> dict[str, Any]:
    return {
        "image": {"tag": image_tag},
        # The GPU nodes only, through their taint.
        "nodeSelector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
        # Label each GPU's series with the pod holding it (the kubelet's pod-resources API).
        "kubernetes": {"enablePodLabels": True},
        "serviceMonitor": {"enabled": True, "honorLabels": True, "interval": "30s"},
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        # The chart keeps SYS_ADMIN (profiling metrics) and drops the rest; seccomp on top.
        "podSecurityContext": RUNTIME_DEFAULT_SECCOMP,
    }


class Observability(pulumi.ComponentResource):
    """Namespace, policies, Grafana's admin secret, Alertmanager's role, the two charts,
    Karpenter's and the models' monitors, rules and dashboards."""

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:observability:Observability", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        self.namespace = namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels=pod_security("restricted")),
            opts=on_cluster,
        )
        inside = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        self._network(name, args, inside)
        password = random.RandomPassword(
            f"{name}-grafana-admin",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self, provider=args.random_provider),
        )
        admin = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=NAMESPACE),
            type="Opaque",
            string_data={"admin-user": "platform-admin", "admin-password": password.result},
            opts=inside,
        )
        self.alertmanager = alertmanager = WorkloadRole(
            f"{name}-alertmanager",
            WorkloadRoleArgs(
                pod_identity=args.pod_identity,
                role_name=args.role_name,
                namespace=NAMESPACE,
                service_account=ALERTMANAGER_SERVICE_ACCOUNT,
                statements=pulumi.Output.all(args.topic_arn, args.topic_key_arn).apply(
                    lambda arns: alertmanager_statements(arns[0], arns[1], args.region)
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.stack = k8s.helm.v4.Chart(
            f"{name}-kube-prometheus-stack",
            name="kube-prometheus-stack",
            chart="kube-prometheus-stack",
            version=args.stack_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=STACK_REPO),
            namespace=NAMESPACE,
            values=pulumi.Output.from_input(args.topic_arn).apply(
                lambda topic: stack_values(args, topic)
            ),
            opts=pulumi.ResourceOptions.merge(
                inside, pulumi.ResourceOptions(depends_on=[admin, alertmanager])
            ),
        )
        # The monitors and rules are the operator's kinds: after the chart's CRDs.
        after_stack = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[self.stack])
        )
        k8s.helm.v4.Chart(
            f"{name}-dcgm-exporter",
            name="dcgm-exporter",
            chart="dcgm-exporter",
            version=args.dcgm_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=DCGM_REPO),
            # With the other GPU node agents: it reads the kubelet's pod-resources socket.
            namespace=PLUGIN_NAMESPACE,
            values=dcgm_values(args.dcgm_image_tag),
            opts=after_stack,
        )
        self._monitors(name, args, after_stack)
        self.register_outputs(
            {
                "namespace": namespace.metadata.name,
                "grafana": f"http://kube-prometheus-stack-grafana.{NAMESPACE}",
                "grafana_admin_secret": admin.metadata.name,
                "alertmanager_role_arn": alertmanager.role_arn,
            }
        )

    def _network(self, name: str, args: ObservabilityArgs, inside: pulumi.ResourceOptions) -> None:
        """monitoring: default-deny, then scrapes out to every namespace, the API server's
        webhook calls in, and the AWS calls Alertmanager makes. The GPU agents' namespace lets
        Prometheus scrape DCGM."""
        net = k8s.networking.v1
        default_deny(f"{name}-default-deny", NAMESPACE, inside)
        own = net.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())
        every_namespace = net.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs()
        )
        net.NetworkPolicy(
            f"{name}-allow",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="monitoring", namespace=NAMESPACE),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(from_=[own]),
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[
                            net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=args.vpc_cidr))
                        ],
                        ports=ports(OPERATOR_WEBHOOK_PORT),
                    ),
                ],
                egress=[
                    net.NetworkPolicyEgressRuleArgs(to=[own, every_namespace]),
                    dns_egress(),
                    # The API server and kubelets (in the VPC) and SNS (HTTPS).
                    to_cidr(args.vpc_cidr, 443, 10250),
                    to_cidr("0.0.0.0/0", 443),
                    to_cidr(POD_IDENTITY_AGENT, 80),
                ],
            ),
            opts=inside,
        )
        net.NetworkPolicy(
            f"{name}-dcgm-scrape",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="prometheus-scrapes-dcgm", namespace=PLUGIN_NAMESPACE
            ),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": "dcgm-exporter"}
                ),
                policy_types=["Ingress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[namespace_peer(NAMESPACE)], ports=ports(DCGM_PORT)
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
        )

    def _monitors(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions) -> None:
        custom, meta = k8s.apiextensions.CustomResource, k8s.meta.v1.ObjectMetaArgs
        custom(
            f"{name}-karpenter-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=meta(name="karpenter", namespace=NAMESPACE),
            spec={
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "selector": {"matchLabels": {"app.kubernetes.io/name": "karpenter"}},
                "endpoints": [{"port": "http-metrics", "interval": "30s"}],
            },
            opts=opts,
        )
        custom(
            f"{name}-model-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=meta(name="served-models", namespace=NAMESPACE),
            spec={
                # vLLM's metrics from every InferenceService's predictor, in any namespace.
                "namespaceSelector": {"any": True},
                "selector": {
                    "matchExpressions": [
                        {"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}
                    ]
                },
                "podMetricsEndpoints": [{"port": "user-port", "path": "/metrics"}],
            },
            opts=opts,
        )
        custom(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=meta(name="mlplat", namespace=NAMESPACE, labels=RULE_LABELS),
            spec={"groups": alert_rules(args.slo)},
            opts=opts,
        )
        for file_name, dashboard in dashboards(args.gpu_hour_usd).items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{file_name.removesuffix('.json')}",
                metadata=meta(
                    name=f"dashboard-{file_name.removesuffix('.json')}",
                    namespace=NAMESPACE,
                    labels={"grafana_dashboard": "1"},
                ),
                data={file_name: dashboard},
                opts=opts,
            )
