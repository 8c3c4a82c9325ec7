"""Builders shared by component tests: the environment's boundary and keys, a Kubernetes provider,
and the prod-shaped model registry others grant against."""

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
