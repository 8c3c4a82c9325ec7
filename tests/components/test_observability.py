"""Observability: kube-prometheus-stack and DCGM pinned, secure values, the platform's alert
rules (every expression parsed as PromQL) and dashboards, Alertmanager's scoped role."""

from __future__ import annotations

import json
from collections import Counter

import promql_parser
import pulumi_random as random
import pytest

from components.alert_rules import InferenceSlo, alert_rules
from components.dashboards import dashboards
from components.observability import Observability, ObservabilityArgs
from components.placement import platform_placement
from tests.components.builders import LOGS_KEY, kubernetes, pod_identity
from tests.recording import ACCOUNT, REGION, policy, record

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlplat-prod-alarms"
SLO = InferenceSlo(time_to_first_token_seconds=2.5, objective=0.99)


@pytest.fixture(scope="module")
def observability():
    def build():
        Observability(
            "prod",
            ObservabilityArgs(
                stack_version="88.5.3",
                dcgm_version="4.8.2",
                dcgm_image_tag="4.5.3-4.8.2-ubuntu22.04",
                retention_days=30,
                storage_gi=300,
                storage_class="gp3-encrypted",
                slo=SLO,
                gpu_hour_usd=0.89,
                pod_identity=pod_identity(boundary=f"arn:aws:iam::{ACCOUNT}:policy/boundary"),
                region=REGION,
                vpc_cidr="10.30.0.0/16",
                role_name="mlplat-prod-alertmanager",
                topic_arn=TOPIC,
                topic_key_arn=LOGS_KEY,
                kubernetes_provider=kubernetes(),
                random_provider=random.Provider("random"),
            ),
        )

    return record(build)


def test_children(observability):
    component = observability.one("mlplat:observability:Observability")
    assert observability.child_types(component.urn) == Counter(
        {
            "kubernetes:core/v1:Namespace": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 3,
            "random:index/randomPassword:RandomPassword": 1,
            "kubernetes:core/v1:Secret": 1,
            "mlplat:iam:WorkloadRole": 1,
            "kubernetes:helm.sh/v4:Chart": 2,
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": 1,
            "kubernetes:monitoring.coreos.com/v1:PodMonitor": 1,
            "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 1,
            "kubernetes:core/v1:ConfigMap": 4,  # one per dashboard
        }
    )


def charts(observability) -> dict:
    return {
        c.inputs["chart"]: c.inputs for c in observability.of_type("kubernetes:helm.sh/v4:Chart")
    }


def test_charts_are_pinned_and_prometheus_keeps_encrypted_bounded_history(observability):
    stack, dcgm = (
        charts(observability)["kube-prometheus-stack"],
        charts(observability)["dcgm-exporter"],
    )
    assert (stack["version"], dcgm["version"]) == ("88.5.3", "4.8.2")
    values = stack["values"]
    assert values["nodeExporter"] == {"enabled": False}
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d" and spec["retentionSize"] == "270GiB"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "300Gi"
    assert spec["resources"]["limits"] == {"cpu": "2", "memory": "8Gi"}
    assert spec["ruleSelectorNilUsesHelmValues"] is False


def test_every_workload_of_the_stack_runs_on_the_system_nodes_with_requests(observability):
    values = charts(observability)["kube-prometheus-stack"]["values"]
    workloads = {
        "prometheus": values["prometheus"]["prometheusSpec"],
        "alertmanager": values["alertmanager"]["alertmanagerSpec"],
        "grafana": values["grafana"],
        "operator": values["prometheusOperator"],
        "kube-state-metrics": values["kube-state-metrics"],
    }
    for name, workload in workloads.items():
        placement = {k: workload[k] for k in ("tolerations", "affinity")}
        assert placement == platform_placement(), name
        assert set(workload["resources"]["requests"]) == {"cpu", "memory"}, name
        assert set(workload["resources"]["limits"]) == {"cpu", "memory"}, name


def test_the_operator_webhook_certificate_comes_from_cert_manager_not_a_hook(observability):
    # The provider applies no Helm hooks: the chart's certificate Job would never run.
    webhooks = charts(observability)["kube-prometheus-stack"]["values"]["prometheusOperator"]
    assert webhooks["admissionWebhooks"] == {"enabled": True, "certManager": {"enabled": True}}


def test_every_chart_names_its_release(observability):
    # Unnamed, the release is the resource name (`<env>-...`), and so is every object's name.
    assert {c: v["name"] for c, v in charts(observability).items()} == {
        "kube-prometheus-stack": "kube-prometheus-stack",
        "dcgm-exporter": "dcgm-exporter",
    }


def test_grafana_has_a_generated_admin_password_and_no_anonymous_access(observability):
    grafana = charts(observability)["kube-prometheus-stack"]["values"]["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert grafana["grafana.ini"]["auth.anonymous"] == {"enabled": False}
    assert grafana["grafana.ini"]["users"] == {"allow_sign_up": False}
    assert grafana["service"] == {"type": "ClusterIP"}
    password = observability.one("random:index/randomPassword:RandomPassword").inputs
    assert password["length"] == 32
    secret = observability.one("kubernetes:core/v1:Secret")
    assert secret.inputs["metadata"]["name"] == "grafana-admin"


def test_alerts_go_to_the_encrypted_topic_through_a_scoped_role(observability):
    receivers = charts(observability)["kube-prometheus-stack"]["values"]["alertmanager"]["config"]
    # Every route ends at a receiver that exists: the chart's default routes are dropped.
    assert receivers["route"]["routes"] == [] and receivers["route"]["receiver"] == "sns"
    assert receivers["receivers"] == [
        {"name": "sns", "sns_configs": [{"topic_arn": TOPIC, "sigv4": {"region": REGION}}]}
    ]
    publish, encrypt = policy(
        observability.one("aws:iam/rolePolicy:RolePolicy", "alertmanager-policy"), "policy"
    )["Statement"]
    assert (publish["Action"], publish["Resource"]) == (["sns:Publish"], [TOPIC])
    assert encrypt["Resource"] == [LOGS_KEY]
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
    }
    associations = {
        (a.inputs["namespace"], a.inputs["serviceAccount"])
        for a in observability.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert associations == {("monitoring", "alertmanager")}


def test_dcgm_runs_on_gpu_nodes_and_labels_series_with_their_pods(observability):
    dcgm = charts(observability)["dcgm-exporter"]
    assert dcgm["namespace"] == "nvidia-device-plugin"
    values = dcgm["values"]
    assert values["image"] == {"tag": "4.5.3-4.8.2-ubuntu22.04"}
    assert values["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert values["kubernetes"] == {"enablePodLabels": True}
    assert values["serviceMonitor"]["honorLabels"] is True
    # The chart's own container context (SYS_ADMIN only) is kept; seccomp and limits are ours.
    assert "securityContext" not in values
    assert values["podSecurityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert values["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}


def test_every_rule_expression_is_promql_and_the_asked_alerts_exist():
    groups = alert_rules(SLO)
    rules = [rule for group in groups for rule in group["rules"]]
    for rule in rules:
        promql_parser.parse(rule["expr"])  # raises on a syntax error
    alerts = {rule["alert"] for rule in rules if "alert" in rule}
    assert alerts == {
        "GpuAllocatedButIdle",
        "GpuNodeNotReady",
        "KarpenterProvisioningFailing",
        "PersistentVolumeNearlyFull",
        "InferenceLatencyBudgetBurn1h",
        "InferenceLatencyBudgetBurn6h",
    }
    idle = next(r for r in rules if r.get("alert") == "GpuAllocatedButIdle")
    assert "[1h]" in idle["expr"] and "< 5" in idle["expr"]
    # Multi-window: each burn alert needs its long and its short window to burn.
    fast = next(r for r in rules if r.get("alert") == "InferenceLatencyBudgetBurn1h")
    assert fast["expr"] == (
        "mlplat:ttft_slow_ratio:rate1h > (14.4 * 0.01) and "
        "mlplat:ttft_slow_ratio:rate5m > (14.4 * 0.01)"
    )
    recorded = {rule["record"] for rule in rules if "record" in rule}
    assert recorded == {f"mlplat:ttft_slow_ratio:rate{w}" for w in ("1h", "5m", "6h", "30m")}
    assert 'le="2.5"' in next(r for r in rules if r.get("record", "").endswith("rate1h"))["expr"]


def test_dashboards_are_grafana_json_whose_queries_parse():
    boards = dashboards(0.89)
    assert set(boards) == {
        "gpu-by-team.json",
        "serving-latency.json",
        "cost.json",
        "gpu-queues.json",
    }
    for text in boards.values():
        board = json.loads(text)
        assert board["uid"].startswith("mlplat-") and board["panels"]
        for panel in board["panels"]:
            for target in panel["targets"]:
                promql_parser.parse(target["expr"])
    queues = json.loads(boards["gpu-queues.json"])
    exprs = [p["targets"][0]["expr"] for p in queues["panels"]]
    # Kueue v0.19.2's metric names and labels (pkg/metrics/metrics.go at the tag).
    assert exprs[0] == "sum by (cluster_queue, status) (kueue_pending_workloads)"
    assert 'kueue_cluster_queue_resource_usage{resource="nvidia.com/gpu"}' in exprs[1]
    assert "kueue_cluster_queue_nominal_quota" in exprs[2] and "clamp_min" in exprs[2]
    assert "preempting_cluster_queue" in exprs[3]
    cost = json.loads(boards["cost.json"])
    assert cost["panels"][0]["targets"][0]["expr"].startswith("0.89 * ")


def test_monitoring_is_restricted_default_deny_and_dcgm_opens_only_to_prometheus(observability):
    (namespace,) = observability.of_type("kubernetes:core/v1:Namespace")
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {
        p.inputs["metadata"]["name"]: p.inputs
        for p in observability.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert set(policies) == {"default-deny", "monitoring", "prometheus-scrapes-dcgm"}
    dcgm = policies["prometheus-scrapes-dcgm"]
    assert dcgm["metadata"]["namespace"] == "nvidia-device-plugin"
    (ingress,) = dcgm["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 9400}]
