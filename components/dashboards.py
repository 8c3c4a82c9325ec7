"""The platform's Grafana dashboards as data (JSON by file name), provisioned by the
kube-prometheus-stack chart's sidecar."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def _panel(title: str, expr: str, unit: str, legend: str, position: int) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "gridPos": {"h": 9, "w": 12, "x": 12 * (position % 2), "y": 9 * (position // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"expr": expr, "legendFormat": legend, "refId": "A"}],
    }


def _dashboard(uid: str, title: str, panels: Sequence[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "uid": uid,
            "title": title,
            "tags": ["mlplat"],
            "timezone": "utc",
            "schemaVersion": 39,
            "time": {"from": "now-24h", "to": "now"},
            "panels": list(panels),
        },
        indent=2,
        sort_keys=True,
    )


def _team_of_namespace(expr: str) -> str:
    """Attach each series' team (its namespace's `mlplat.io/team` label)."""
    return (
        f"({expr}) * on (namespace) group_left (label_mlplat_io_team) "
        'kube_namespace_labels{label_mlplat_io_team!=""}'
    )


# GPUs Kueue has admitted per team queue and flavor (metrics.enableClusterQueueResources).
QUEUE_GPUS = 'kueue_cluster_queue_resource_usage{resource="nvidia.com/gpu"}'


def dashboards(gpu_hour_usd: float) -> dict[str, str]:
    """Grafana dashboards by file name, provisioned by the chart's sidecar."""
    gpus_held = (
        'sum by (namespace) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"})'
    )
    return {
        "gpu-by-team.json": _dashboard(
            "mlplat-gpu-by-team",
            "GPUs by team",
            [
                _panel(
                    "GPU utilisation by team",
                    "avg by (label_mlplat_io_team) ("
                    + _team_of_namespace('avg by (namespace) (DCGM_FI_DEV_GPU_UTIL{pod!=""})')
                    + ")",
                    "percent",
                    "{{label_mlplat_io_team}}",
                    0,
                ),
                _panel(
                    "GPUs held by team",
                    "sum by (label_mlplat_io_team) (" + _team_of_namespace(gpus_held) + ")",
                    "short",
                    "{{label_mlplat_io_team}}",
                    1,
                ),
            ],
        ),
        "serving-latency.json": _dashboard(
            "mlplat-serving-latency",
            "Serving latency",
            [
                _panel(
                    f"Time to first token, p{q}",
                    f"histogram_quantile(0.{q}, sum by (namespace, model_name, le) "
                    "(rate(vllm:time_to_first_token_seconds_bucket[5m])))",
                    "s",
                    "{{namespace}}/{{model_name}}",
                    i,
                )
                for i, q in enumerate((50, 99))
            ]
            + [
                _panel(
                    "Requests per second",
                    "sum by (namespace, model_name) "
                    "(rate(vllm:e2e_request_latency_seconds_count[5m]))",
                    "reqps",
                    "{{namespace}}/{{model_name}}",
                    2,
                ),
                _panel(
                    "Slow-first-token ratio against the SLO (1h)",
                    "mlplat:ttft_slow_ratio:rate1h",
                    "percentunit",
                    "{{namespace}}/{{model_name}}",
                    3,
                ),
            ],
        ),
        "gpu-queues.json": _dashboard(
            "mlplat-gpu-queues",
            "GPU queues (Kueue)",
            [
                _panel(
                    "Pending workloads by team queue",
                    "sum by (cluster_queue, status) (kueue_pending_workloads)",
                    "short",
                    "{{cluster_queue}} {{status}}",
                    0,
                ),
                _panel(
                    "Admitted GPUs by team queue and pool",
                    f"sum by (cluster_queue, flavor) ({QUEUE_GPUS})",
                    "short",
                    "{{cluster_queue}}/{{flavor}}",
                    1,
                ),
                _panel(
                    "Borrowed GPUs (admitted beyond nominal)",
                    f"sum by (cluster_queue, flavor) (clamp_min({QUEUE_GPUS} - on (cluster_queue, "
                    'flavor) kueue_cluster_queue_nominal_quota{resource="nvidia.com/gpu"}, 0))',
                    "short",
                    "{{cluster_queue}}/{{flavor}}",
                    2,
                ),
                _panel(
                    "Workloads preempted, by the queue that preempted (1h)",
                    "sum by (preempting_cluster_queue, reason) "
                    "(increase(kueue_preempted_workloads_total[1h]))",
                    "short",
                    "by {{preempting_cluster_queue}}: {{reason}}",
                    3,
                ),
            ],
        ),
        "cost.json": _dashboard(
            "mlplat-cost",
            "GPU cost",
            [
                _panel(
                    f"GPU spend rate by team (USD/hour at ${gpu_hour_usd:.2f} a GPU-hour)",
                    f"{gpu_hour_usd} * sum by (label_mlplat_io_team) ("
                    + _team_of_namespace(gpus_held)
                    + ")",
                    "currencyUSD",
                    "{{label_mlplat_io_team}}",
                    0,
                ),
                _panel(
                    "GPU-hours by team, last 24 h",
                    "sum by (label_mlplat_io_team) (sum_over_time(("
                    + _team_of_namespace(gpus_held)
                    + ")[24h:5m]) / 12)",
                    "short",
                    "{{label_mlplat_io_team}}",
                    1,
                ),
            ],
        ),
    }


# --- the component -------------------------------------------------------------------------------
