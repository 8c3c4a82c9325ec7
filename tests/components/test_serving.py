"""Serving: the vLLM ClusterServingRuntime and canary InferenceServices."""

from __future__ import annotations

from collections import Counter

import pytest

from components.serving import ServedModel, Serving, ServingArgs
from tests.components.builders import kubernetes
from tests.recording import record

BUCKET = "mlplat-prod-models-111122223333"
IMAGE = "vllm/vllm-openai:v0.33.0"
MODEL = ServedModel(
    name="support-assistant",
    namespace="team-reco",
    service_account="default-editor",
    version="2",
    canary_traffic_percent=10,
    gpus=2,
    min_replicas=0,
    max_replicas=3,
)


@pytest.fixture(scope="module")
def serving():
    def build():
        Serving(
            "serving",
            ServingArgs(
                runtime_image=IMAGE,
                registry_bucket=BUCKET,
                models=[MODEL],
                kubernetes_provider=kubernetes(),
            ),
        )

    return record(build)


def test_children(serving):
    component = serving.one("mlplat:serving:Serving")
    assert serving.child_types(component.urn) == Counter(
        {
            "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime": 1,
            "kubernetes:serving.kserve.io/v1beta1:InferenceService": 1,
        }
    )


def test_runtime_is_pinned_non_root_bounded_and_on_inference_gpus_only(serving):
    (runtime,) = serving.of_type("kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime")
    spec = runtime.inputs["spec"]
    (container,) = spec["containers"]
    assert container["image"] == IMAGE
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"]["limits"] == {"cpu": "4", "memory": "32Gi", "nvidia.com/gpu": "1"}
    assert {"name": "HF_HUB_OFFLINE", "value": "1"} in container["env"]
    assert spec["nodeSelector"] == {"mlplat.io/workload": "inference"}
    # The GPU taint, and the taint Kueue's inference flavors declare for serving alone.
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {
            "key": "mlplat.io/workload",
            "operator": "Equal",
            "value": "inference",
            "effect": "NoSchedule",
        },
    ]


def test_inference_service_is_a_canary_of_an_approved_model_on_the_team_role(serving):
    (service,) = serving.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    assert service.inputs["metadata"]["namespace"] == "team-reco"
    assert service.inputs["metadata"]["annotations"] == {
        "serving.kserve.io/deploymentMode": "Serverless"
    }
    predictor = service.inputs["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (0, 3)  # scales to zero
    assert predictor["serviceAccountName"] == "default-editor"
    model = predictor["model"]
    assert model["runtime"] == "mlplat-vllm"
    assert model["storageUri"] == f"s3://{BUCKET}/approved/support-assistant/2/"
    assert model["resources"]["limits"] == {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "2"}
    assert model["resources"]["requests"] == model["resources"]["limits"]


def test_runtime_depends_before_the_services(serving):
    (runtime,) = serving.of_type("kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime")
    (service,) = serving.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    assert runtime.urn in service.dependencies
