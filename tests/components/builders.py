"""Builders shared by component tests: the prod-shaped model registry others grant against."""

from __future__ import annotations

from components.bucket import ObjectLock
from components.registry import ModelRegistry, ModelRegistryArgs
from tests.recording import ACCOUNT, REGION

MODELS_BUCKET = f"mlplat-prod-models-{ACCOUNT}"
STORAGE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/storage"


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
