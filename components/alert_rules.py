"""The platform's Prometheus rules as data: GPUs, Karpenter, volumes and the serving SLO's
multi-window burn-rate alerts. Observability provisions them as PrometheusRule objects."""

from __future__ import annotations

from typing import Any

from components.args import component_args


@component_args
class InferenceSlo:
    time_to_first_token_seconds: float
    objective: float


# Multi-window, multi-burn-rate alerts (Google SRE workbook, ch. 5): (severity, long window,
# short window, burn rate). 14.4x for an hour spends 2 % of a 30-day budget; 6x for 6 hours, 5 %.
BURN_ALERTS = (("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0))


def slo_recording_rules(slo: InferenceSlo) -> list[dict[str, Any]]:
    """Per model and window: the share of requests slower to the first token than the SLO."""
    le = f"{slo.time_to_first_token_seconds}"
    windows = sorted({w for _, long, short, _ in BURN_ALERTS for w in (long, short)})
    return [
        {
            "record": f"mlplat:ttft_slow_ratio:rate{window}",
            "expr": (
                "1 - (sum by (namespace, model_name) "
                f'(rate(vllm:time_to_first_token_seconds_bucket{{le="{le}"}}[{window}])) / '
                "sum by (namespace, model_name) "
                f"(rate(vllm:time_to_first_token_seconds_count[{window}])))"
            ),
        }
        for window in windows
    ]


def alert_rules(slo: InferenceSlo) -> list[dict[str, Any]]:
    """The platform's groups: GPUs, Karpenter, volumes, and the serving SLO."""
    budget = round(1 - slo.objective, 6)
    slo_alerts = [
        {
            "alert": f"InferenceLatencyBudgetBurn{long}",
            "expr": (
                f"mlplat:ttft_slow_ratio:rate{long} > ({rate} * {budget}) and "
                f"mlplat:ttft_slow_ratio:rate{short} > ({rate} * {budget})"
            ),
            "labels": {"severity": severity},
            "annotations": {
                "summary": f"{{{{ $labels.model_name }}}} in {{{{ $labels.namespace }}}} burns its "
                f"time-to-first-token budget {rate}x too fast ({long} and {short} windows)",
            },
        }
        for severity, long, short, rate in BURN_ALERTS
    ]
    return [
        {
            "name": "mlplat.gpu",
            "rules": [
                {
                    "alert": "GpuAllocatedButIdle",
                    # DCGM labels a GPU with the pod holding it; unallocated GPUs have no pod.
                    "expr": 'avg_over_time(DCGM_FI_DEV_GPU_UTIL{pod!=""}[1h]) < 5',
                    "for": "5m",
                    "labels": {"severity": "warning"},
                    "annotations": {
                        "summary": "{{ $labels.namespace }}/{{ $labels.pod }} holds GPU "
                        "{{ $labels.gpu }} on {{ $labels.Hostname }} below 5 % for an hour",
                    },
                },
                {
                    "alert": "GpuNodeNotReady",
                    "expr": (
                        '(kube_node_status_condition{condition="Ready",status="true"} == 0) '
                        "* on (node) group_left (label_mlplat_io_gpu_pool) "
                        'kube_node_labels{label_nvidia_com_gpu_present="true"}'
                    ),
                    "for": "10m",
                    "labels": {"severity": "page"},
                    "annotations": {
                        "summary": "GPU node {{ $labels.node }} (pool "
                        "{{ $labels.label_mlplat_io_gpu_pool }}) not ready for 10 minutes",
                    },
                },
            ],
        },
        {
            "name": "mlplat.karpenter",
            "rules": [
                {
                    "alert": "KarpenterProvisioningFailing",
                    "expr": (
                        "sum by (error) (increase("
                        'karpenter_cloudprovider_errors_total{method="Create"}[15m])) > 0'
                    ),
                    "for": "15m",
                    "labels": {"severity": "warning"},
                    "annotations": {
                        "summary": "Karpenter cannot launch nodes ({{ $labels.error }}): pending "
                        "pods wait (capacity, quota or a limit reached)",
                    },
                },
            ],
        },
        {
            "name": "mlplat.storage",
            "rules": [
                {
                    "alert": "PersistentVolumeNearlyFull",
                    "expr": (
                        "kubelet_volume_stats_available_bytes / "
                        "kubelet_volume_stats_capacity_bytes < 0.10"
                    ),
                    "for": "15m",
                    "labels": {"severity": "warning"},
                    "annotations": {
                        "summary": "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} "
                        "has less than 10 % free",
                    },
                },
            ],
        },
        {"name": "mlplat.serving-slo", "rules": [*slo_recording_rules(slo), *slo_alerts]},
    ]
