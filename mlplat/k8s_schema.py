"""Kubernetes objects the program builds, validated against the schema of the cluster's version
(kubernetes-validate ships the upstream OpenAPI schemas; offline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import kubernetes_validate
import yaml

from components.catalog import KUBERNETES_VERSION


@dataclass(frozen=True)
class SchemaFinding:
    file: str
    message: str


def validate_directory(
    directory: Path, version: str = KUBERNETES_VERSION
) -> tuple[int, list[SchemaFinding]]:
    """(objects validated, problems) for every YAML file in a build/<env>/k8s directory."""
    if not directory.is_dir():
        return 0, []
    count, findings = 0, []
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not document:
                continue
            count += 1
            try:
                kubernetes_validate.validate(document, desired_version=version, strict=True)
            except kubernetes_validate.ValidationError as error:
                findings.append(SchemaFinding(path.name, f"{error.message} at {list(error.path)}"))
            except kubernetes_validate.SchemaNotFoundError as error:
                findings.append(SchemaFinding(path.name, f"no schema for {error}"))
    return count, findings
