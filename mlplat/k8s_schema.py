"""Kubernetes objects the program builds, validated against the schema of the cluster's version
(kubernetes-validate ships the upstream OpenAPI schemas; offline); custom resources against the
schemas in mlplat/schemas (the fields this project uses, from the pinned CRDs)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

from components.catalog import KUBERNETES_VERSION


@dataclass(frozen=True)
class SchemaFinding:
    file: str
    message: str


SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def custom_schema(api_version: str, kind: str) -> dict | None:
    """`karpenter.sh/v1` NodePool -> schemas/karpenter.sh_v1_NodePool.json, if there is one."""
    path = SCHEMAS / f"{api_version.replace('/', '_')}_{kind}.json"
    return json.loads(path.read_text()) if path.is_file() else None


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
            schema = custom_schema(str(document.get("apiVersion")), str(document.get("kind")))
            if schema is not None:
                problems = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=str)
                findings += [
                    SchemaFinding(path.name, f"{e.message} at {list(e.path)}") for e in problems
                ]
                pod = embedded_pod(document)
                if pod is None:
                    continue
                document = pod
            try:
                kubernetes_validate.validate(document, desired_version=version, strict=True)
            except kubernetes_validate.ValidationError as error:
                findings.append(SchemaFinding(path.name, f"{error.message} at {list(error.path)}"))
            except kubernetes_validate.SchemaNotFoundError as error:
                findings.append(SchemaFinding(path.name, f"no schema for {error}"))
    return count, findings


# Custom resources that carry a pod template in their own shape: the pod-spec fields they hold.
POD_SPEC_FIELDS = {
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): (
        "containers",
        "volumes",
        "nodeSelector",
        "tolerations",
    ),
}


def embedded_pod(document: dict) -> dict | None:
    """The pod inside a custom resource, as a Pod the Kubernetes schema can check (containers,
    security contexts, probes, volumes), or None for kinds without one."""
    fields = POD_SPEC_FIELDS.get((str(document.get("apiVersion")), str(document.get("kind"))))
    if fields is None:
        return None
    spec = document.get("spec") or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": str((document.get("metadata") or {}).get("name", "embedded"))},
        "spec": {k: spec[k] for k in fields if k in spec},
    }
