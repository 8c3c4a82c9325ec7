"""What the Kubernetes provider would build at deploy time, built offline from the upstream cache.

Each `kustomize.v2.Directory` of a state (remote at its pinned ref, or a local overlay) is built
with the real kustomize (`mlplat/kustomize.py`) into `build/<env>/rendered/<name>.yaml`, every
object annotated with the resource that renders it. Helm charts' templates are not in the cache
(`Chart.yaml` and `values.yaml` only), so a chart is reported as not rendered and its values are
checked against the chart's own (`mlplat/chart_values.py`). A Directory that does not build is
reported with kustomize's message, never passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlplat.chart_values import CHART, ValuesProblem, check_charts, upstream_cache
from mlplat.kustomize import KustomizeError, build_in, mirrored

DIRECTORY = "kubernetes:kustomize/v2:Directory"
RENDERED_BY = "mlplat.io/rendered-by"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Rendered:
    objects: dict[str, int] = field(default_factory=dict)  # Directory name -> objects rendered
    rendered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by Directory URN
    failed: dict[str, str] = field(default_factory=dict)  # Directory name -> why not
    charts: dict[str, str] = field(default_factory=dict)  # Chart name -> what was checked
    chart_problems: list[ValuesProblem] = field(default_factory=list)
    order_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.chart_problems and not self.order_problems


def namespace_order(
    resources: Sequence[Mapping[str, Any]], rendered: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[str]:
    """Every rendered object whose namespace another Directory creates must come after that
    Directory: the provider gives up on a missing namespace after about 30 s."""
    creates = {
        str(item["metadata"]["name"]): urn
        for urn, objects in rendered.items()
        for item in objects
        if item.get("kind") == "Namespace"
    }
    depends = {str(r["urn"]): set(r.get("dependencies") or ()) for r in resources}
    problems = []
    for urn, objects in rendered.items():
        before = _ancestors(urn, depends)
        for item in objects:
            namespace = (item.get("metadata") or {}).get("namespace")
            creator = creates.get(str(namespace))
            if creator and creator != urn and creator not in before:
                problems.append(
                    f"{urn.rsplit('::', 1)[-1]}: {item.get('kind')} {namespace}/"
                    f"{item['metadata'].get('name')} needs namespace {namespace}, which "
                    f"{creator.rsplit('::', 1)[-1]} creates, but does not wait for it"
                )
    return sorted(set(problems))


def _ancestors(urn: str, depends: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(depends.get(urn, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(depends.get(current, ()))
    return seen


def render(
    resources: Sequence[Mapping[str, Any]], out_dir: Path, cache: Path | None = None
) -> Rendered:
    """Renders every Directory of a state into `out_dir` (replaced), and checks its charts."""
    cache = cache or upstream_cache()
    result = Rendered()
    files: dict[str, list[dict[str, Any]]] = {}
    directories = [r for r in resources if r["type"] == DIRECTORY]
    with mirrored(cache) as environment:
        for resource in directories:
            name = str(resource["urn"]).rsplit("::", 1)[-1]
            target = str((resource.get("inputs") or {}).get("directory") or "")
            source = target if target.startswith("https://") else ROOT / target
            try:
                objects = build_in(source, environment)
            except KustomizeError as error:
                result.failed[name] = f"not rendered: {error}"
                continue
            for item in objects:
                metadata = item.setdefault("metadata", {})
                (metadata.setdefault("annotations", None) or metadata.update(annotations={}))
                metadata["annotations"] = {
                    **(metadata.get("annotations") or {}),
                    RENDERED_BY: resource["urn"],
                }
            files[name] = objects
            result.objects[name] = len(objects)
            result.rendered[str(resource["urn"])] = objects
    result.order_problems = namespace_order(resources, result.rendered)
    _, result.chart_problems = check_charts(resources, cache)
    for resource in resources:
        if resource["type"] == CHART:
            inputs = resource.get("inputs") or {}
            chart = str(inputs.get("chart") or "").rsplit("/", 1)[-1]
            result.charts[str(resource["urn"]).rsplit("::", 1)[-1]] = (
                f"{chart} {inputs.get('version')}: values checked; templates not in the cache"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.yaml"):
        old.unlink()
    for name, objects in files.items():
        (out_dir / f"{name}.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return result
