"""Builders shared by component tests: the environment's boundary and keys, a Kubernetes provider,
the prod-shaped model registry others grant against, and an admission policy's CEL as the API
server evaluates it."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components.bucket import ObjectLock
from components.registry import ModelRegistry, ModelRegistryArgs
from components.workload_role import PodIdentity
from tests.recording import ACCOUNT, REGION

MODELS_BUCKET = f"mlplat-prod-models-{ACCOUNT}"
KEY_PREFIX = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"
STORAGE_KEY = f"{KEY_PREFIX}storage"
LOGS_KEY = f"{KEY_PREFIX}logs"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/mlplat-staging-permissions-boundary"


def kubernetes() -> k8s.Provider:
    """A cluster provider for components that only declare Kubernetes objects."""
    return k8s.Provider("k8s", kubeconfig="{}")


def registry_args(lock: ObjectLock | None = None) -> ModelRegistryArgs:
    return ModelRegistryArgs(
        bucket_name=MODELS_BUCKET,
        account_id=ACCOUNT,
        region=REGION,
        storage_key_arn=STORAGE_KEY,
        access_log_bucket=f"mlplat-prod-access-logs-{ACCOUNT}",
        noncurrent_version_days=365,
        object_lock=lock,
    )


def model_registry(lock: ObjectLock | None = None) -> ModelRegistry:
    return ModelRegistry("registry", registry_args(lock))


def pod_identity(cluster: str = "mlplat-prod", boundary: str = BOUNDARY) -> PodIdentity:
    """A cluster's Pod Identity, as `EksCluster.pod_identity` gives it."""
    return PodIdentity(
        account_id=ACCOUNT,
        cluster_name=cluster,
        cluster_arn=f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{cluster}",
        permissions_boundary_arn=boundary,
    )


def admission_check(expression: str):
    """`expression` as a predicate over a request, evaluated as the API server would."""
    import celpy

    environment = celpy.Environment()
    program = environment.program(environment.compile(expression))

    def admitted(resource, obj, *, operation="CREATE", user="someone@example.com", old=None):
        request = {
            "resource": {"resource": resource},
            "operation": operation,
            "userInfo": {"username": user},
        }
        return bool(
            program.evaluate(
                {
                    "object": celpy.json_to_cel(obj),
                    "oldObject": celpy.json_to_cel(old),
                    "request": celpy.json_to_cel(request),
                }
            )
        )

    return admitted
