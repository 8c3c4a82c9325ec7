"""LLM serving on KServe (installed with Kubeflow): one pinned vLLM runtime for the cluster, and
each environment's InferenceServices, rolled out as canaries.

The runtime runs only on the inference GPU pools (their label and taint), as a non-root user
with a read-only root, its GPUs, CPU and memory bounded. A model is served from the registry's
`approved/` prefix, downloaded by KServe's storage initializer with the team's Pod Identity
role (which reads `approved/` and nothing else of other teams). A changed version first takes
`canary_traffic_percent` of the requests; promoting it is setting that to 100.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.args import arg, component_args
from components.gpu_pools import GPU, WORKLOAD_LABEL
from components.kueue import INFERENCE, PRIORITY_LABEL, SERVING_PRIORITY, SERVING_TOLERATION
from components.namespaces import restricted_container_fields
from components.registry import APPROVED_PREFIX

RUNTIME = "mlplat-vllm"
MODEL_FORMAT = "vllm"
PORT = 8080
RUNTIME_USER = 1000
INFERENCE_NODES = {WORKLOAD_LABEL: INFERENCE}
# Per GPU of a replica: vLLM's tokenizer and scheduler threads, and the host copy of weights.
CPU_PER_GPU, MEMORY_PER_GPU_GI = 4, 32


@component_args
class ServedModel:
    name: str
    namespace: str = arg("the owning team's namespace")
    service_account: str = arg("the team's workload service account (reads `approved/`)")
    version: str
    canary_traffic_percent: int
    gpus: int
    min_replicas: int
    max_replicas: int


@component_args
class ServingArgs:
    runtime_image: str = arg("the vLLM OpenAI-server image, pinned (catalog)")
    registry_bucket: pulumi.Input[str] = arg("the environment's model registry bucket")
    models: Sequence[ServedModel] = arg("the environment's served models")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def storage_uri(bucket: str, model: ServedModel) -> str:
    return f"s3://{bucket}/{APPROVED_PREFIX}{model.name}/{model.version}/"


def replica_resources(gpus: int) -> dict[str, dict[str, str]]:
    bounds = {
        "cpu": str(CPU_PER_GPU * gpus),
        "memory": f"{MEMORY_PER_GPU_GI * gpus}Gi",
        GPU: str(gpus),
    }
    return {"requests": bounds, "limits": bounds}


def runtime_spec(image: str) -> dict:
    """The ClusterServingRuntime: vLLM's OpenAI-compatible server on the model KServe mounts at
    /mnt/models, offline (weights come from the registry, never the Hugging Face Hub)."""
    return {
        "supportedModelFormats": [{"name": MODEL_FORMAT, "version": "1", "autoSelect": True}],
        "protocolVersions": ["v1"],
        "containers": [
            {
                "name": "kserve-container",
                "image": image,
                "imagePullPolicy": "Always",
                "command": ["python3", "-m", "vllm.entrypoints.openai.api_server"],
                "args": [
                    "--model=/mnt/models",
                    "--served-model-name={{.Name}}",
                    f"--port={PORT}",
                ],
                "env": [
                    {"name": "HOME", "value": "/tmp"},
                    {"name": "XDG_CACHE_HOME", "value": "/tmp/.cache"},
                    {"name": "HF_HUB_OFFLINE", "value": "1"},
                    {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
                    {"name": "DO_NOT_TRACK", "value": "1"},
                ],
                "ports": [{"containerPort": PORT, "protocol": "TCP"}],
                "resources": replica_resources(1),
                "securityContext": restricted_container_fields(RUNTIME_USER),
                "readinessProbe": {"httpGet": {"path": "/health", "port": PORT}},
                "volumeMounts": [
                    {"name": "tmp", "mountPath": "/tmp"},
                    # Tensor-parallel workers exchange tensors through shared memory.
                    {"name": "shm", "mountPath": "/dev/shm"},
                ],
            }
        ],
        "volumes": [
            {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
            {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}},
        ],
        "nodeSelector": INFERENCE_NODES,
        # The GPU taint, and the one Kueue's inference flavors declare for serving pods alone.
        "tolerations": [
            {"key": GPU, "operator": "Exists", "effect": "NoSchedule"},
            SERVING_TOLERATION,
        ],
    }


def inference_service_spec(bucket: str, *, model: ServedModel) -> dict:
    return {
        "predictor": {
            # Kueue's serving priority on the replica pods: never preempted by training.
            "labels": {PRIORITY_LABEL: SERVING_PRIORITY},
            "serviceAccountName": model.service_account,
            "minReplicas": model.min_replicas,
            "maxReplicas": model.max_replicas,
            # The share of requests a new version takes until it is promoted (100).
            "canaryTrafficPercent": model.canary_traffic_percent,
            "model": {
                "modelFormat": {"name": MODEL_FORMAT},
                "runtime": RUNTIME,
                "storageUri": storage_uri(bucket, model),
                "resources": replica_resources(model.gpus),
            },
        }
    }


class Serving(pulumi.ComponentResource):
    """The vLLM ClusterServingRuntime and one InferenceService per served model."""

    def __init__(self, name: str, args: ServingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:serving:Serving", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        custom = k8s.apiextensions.CustomResource
        runtime = custom(
            f"{name}-vllm-runtime",
            api_version="serving.kserve.io/v1alpha1",
            kind="ClusterServingRuntime",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=RUNTIME),
            spec=runtime_spec(args.runtime_image),
            opts=on_cluster,
        )
        after_runtime = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[runtime])
        )
        bucket = pulumi.Output.from_input(args.registry_bucket)
        self.endpoints: dict[str, str] = {}
        for model in args.models:
            custom(
                f"{name}-{model.namespace}-{model.name}",
                api_version="serving.kserve.io/v1beta1",
                kind="InferenceService",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=model.name,
                    namespace=model.namespace,
                    # Knative revisions: what canary rollout and scale to zero run on.
                    annotations={"serving.kserve.io/deploymentMode": "Serverless"},
                ),
                spec=bucket.apply(functools.partial(inference_service_spec, model=model)),
                opts=after_runtime,
            )
            self.endpoints[f"{model.namespace}/{model.name}"] = (
                f"http://{model.name}.{model.namespace}.svc.cluster.local/v1/chat/completions"
            )
        self.register_outputs({"runtime": RUNTIME, "endpoints": self.endpoints})
