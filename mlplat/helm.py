"""A Helm chart rendered offline the way the Kubernetes provider's `helm.sh/v4:Chart` renders it
at deploy time, from the upstream cache.

The tool is the real one: Helm v4's engine, embedded by PyPI's `helm-python-sdk`. The provider
(pulumi-kubernetes `provider/pkg/provider/helm/v4/chart.go`) runs `helm template` with the
release name defaulting to the Chart's resource name, hooks disabled (`helm.sh/hook` objects are
never applied), the chart's `crds/` included unless `skipCrds`, then gives every namespaced
object without a namespace the Chart's `namespace`. This module does the same. What it cannot
do: the provider renders with `--dry-run=server`, so `.Capabilities` are the live cluster's and
`lookup` sees it; offline, Helm's defaults stand in and `lookup` finds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from mlplat import digest_cache
from mlplat.chart_values import chart_folder
from mlplat.kustomize import load_all

HOOK = "helm.sh/hook"
# Kinds the API server serves cluster-wide (Kubernetes 1.35); a custom kind's scope is its CRD's.
CLUSTER_SCOPED = frozenset(
    {
        "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding",
        "ClusterTrustBundle", "ComponentStatus", "CSIDriver", "CSINode",
        "CustomResourceDefinition", "DeviceClass", "FlowSchema", "IngressClass", "IPAddress",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume",
        "PriorityClass", "PriorityLevelConfiguration", "ResourceSlice", "RuntimeClass",
        "ServiceCIDR", "StorageClass", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
    }
)  # fmt: skip


class ChartError(Exception):
    """A chart that does not load or render: Helm's own message."""


@dataclass(frozen=True)
class Release:
    """What the provider passes to `helm template` for one Chart resource."""

    folder: Path  # the chart, unpacked (`charts/<chart>/<version>/` of the cache)
    name: str  # the release name
    namespace: str
    values: Mapping[str, Any]
    include_crds: bool

    @classmethod
    def of(cls, resource: Mapping[str, Any], cache: Path) -> Release:
        inputs = resource.get("inputs") or {}
        return cls(
            folder=chart_folder(cache, inputs),
            name=str(inputs.get("name") or str(resource["urn"]).rsplit("::", 1)[-1]),
            namespace=str(inputs.get("namespace") or "default"),
            values=inputs.get("values") or {},
            include_crds=not inputs.get("skipCrds"),
        )


def whole_chart_cached(folder: Path) -> bool:
    """The data-only cache holds `Chart.yaml` and `values.yaml`; a whole chart has templates."""
    return (folder / "Chart.yaml").is_file() and (folder / "templates").is_dir()


def render(release: Release) -> list[dict[str, Any]]:
    """The objects the provider applies for `release`; the same inputs reuse an earlier render
    (`mlplat/digest_cache.py`)."""
    key = digest_cache.digest(
        "helm",
        digest_cache.tree_digest([release.folder]),
        json.dumps(release.values, sort_keys=True, default=str),
        release.name,
        release.namespace,
        str(release.include_crds),
        _sdk_version(),
        Path(__file__).read_bytes(),
    )
    objects = digest_cache.load("helm", key)
    if objects is None:
        objects = _template(release)
        digest_cache.store("helm", key, objects)
    return list(objects)


def _template(release: Release) -> list[dict[str, Any]]:
    # Imported here: it loads Helm's 80 MB library, which only a whole cached chart needs.
    from helm_python.chart import Chart
    from helm_python.errors import HelmError

    try:
        chart = Chart.load(release.folder)
        chart.validate_schema(dict(release.values))
        manifests = chart.render(
            dict(release.values), name=release.name, namespace=release.namespace, is_install=True
        )
        crds = chart.crds if release.include_crds else []
    except HelmError as error:
        raise ChartError(f"{release.folder}: {error}") from None
    found = [d for crd in crds for d in load_all(crd["data"])]
    for path, text in sorted(manifests.items()):
        if Path(path).name == "NOTES.txt" or Path(path).name.startswith("_") or not text.strip():
            continue
        found += [o for o in load_all(text) if HOOK not in _annotations(o)]
    return _namespaced(found, release.namespace)


def _namespaced(objects: Sequence[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The provider's normalization: the release namespace on every namespaced object that
    names none (a custom kind is cluster-scoped where its CRD, rendered here, says so)."""
    cluster = set(CLUSTER_SCOPED) | {
        str(((o.get("spec") or {}).get("names") or {}).get("kind"))
        for o in objects
        if o.get("kind") == "CustomResourceDefinition"
        and (o.get("spec") or {}).get("scope") == "Cluster"
    }
    for item in objects:
        meta = item.setdefault("metadata", {})
        if item.get("kind") not in cluster and not meta.get("namespace"):
            meta["namespace"] = namespace
    return list(objects)


def _annotations(item: Mapping[str, Any]) -> Mapping[str, Any]:
    return (item.get("metadata") or {}).get("annotations") or {}


def _sdk_version() -> str:
    try:
        return metadata.version("helm-python-sdk")
    except metadata.PackageNotFoundError:
        return "absent"
