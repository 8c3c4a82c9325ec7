"""Helm chart values checked against the chart's own `values.yaml`, from the upstream cache.

Helm ignores a values key no template reads, so a misspelled or renamed key is silently a no-op
(a pod without its limits, a proxy without its setting). Where the cache holds a chart's
`values.yaml` but not its templates, every leaf path the program sets must be a path of that file
(its subcharts' under their names), sit under a map the chart leaves free-form (empty in the file,
or one of Kubernetes' open maps: labels, annotations, node selectors, resources...), or be a key
the file documents in a comment (`# priorityClassName: ...`, the charts' convention for optional
keys). The cache is `MLPLAT_UPSTREAM` (default `~/.cache/mlplat/upstream`), laid out as
`../shared/upstream/README.md` describes: `charts/<chart>/<version>/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART = "kubernetes:helm.sh/v4:Chart"
# Maps Kubernetes leaves open: any key below them is the user's.
FREE_FORM = frozenset(
    {
        "annotations", "labels", "podAnnotations", "podLabels", "nodeSelector", "resources",
        "affinity", "tolerations", "securityContext", "podSecurityContext",
        "containerSecurityContext", "extraArgs", "extraEnv", "env", "additionalLabels",
        "commonLabels", "grafana.ini", "config",
    }
)  # fmt: skip


def upstream_cache() -> Path:
    return Path(os.environ.get("MLPLAT_UPSTREAM", Path.home() / ".cache" / "mlplat" / "upstream"))


def chart_name(reference: object) -> str:
    """A Chart's `chart` input without its repository or OCI path (`oci://r/p/karpenter`)."""
    return str(reference or "").rstrip("/").rsplit("/", 1)[-1]


def chart_folder(cache: Path, chart: Mapping[str, Any]) -> Path:
    """Where the cache holds a chart (a Chart's inputs, or a catalog entry) at its version."""
    return cache / "charts" / chart_name(chart.get("chart")) / str(chart.get("version") or "")


@dataclass(frozen=True)
class ValuesProblem:
    urn: str
    chart: str
    version: str
    path: str  # dotted values path, or "" for the chart itself
    message: str


def check_charts(
    resources: Sequence[Mapping[str, Any]], cache: Path | None = None
) -> tuple[int, list[ValuesProblem]]:
    """(charts checked, problems) for every Helm chart of a state."""
    cache = cache or upstream_cache()
    problems: list[ValuesProblem] = []
    checked = 0
    for resource in resources:
        if resource["type"] != CHART:
            continue
        inputs = resource.get("inputs") or {}
        chart, version = chart_name(inputs.get("chart")), str(inputs.get("version") or "")
        folder = chart_folder(cache, inputs)
        if not (folder / "values.yaml").is_file():
            known = sorted(p.name for p in folder.parent.glob("*")) or ["none"]
            problems.append(
                ValuesProblem(
                    resource["urn"], chart, version, "",
                    f"not rendered: {chart} {version} is not in the cache (cached: {known})",
                )
            )  # fmt: skip
            continue
        checked += 1
        if not inputs.get("name"):
            problems.append(
                ValuesProblem(
                    resource["urn"], chart, version, "",
                    "no release name (`name`): the provider would name the release, and so "
                    f"every object the chart names after it, {resource['urn'].rsplit('::', 1)[-1]}",
                )
            )  # fmt: skip
        defaults, comments = chart_defaults(folder)
        for path in leaf_paths(inputs.get("values") or {}):
            if not known_path(defaults, comments, path):
                problems.append(
                    ValuesProblem(
                        resource["urn"], chart, version, ".".join(path),
                        f"values path {'.'.join(path)} is not a value of {chart} {version} "
                        "(Helm would ignore it)",
                    )
                )  # fmt: skip
    return checked, problems


def chart_defaults(folder: Path) -> tuple[dict[str, Any], set[str]]:
    """The chart's values with each cached subchart's under its name, and the keys its files
    document in comments."""
    values = _load(folder / "values.yaml")
    comments = _commented_keys(folder / "values.yaml")
    for sub in sorted((folder / "charts").glob("*/values.yaml")):
        name = sub.parent.name
        merged = _load(sub)
        own = values.get(name)
        if isinstance(own, Mapping):
            merged = {**merged, **own}
        values[name] = merged
        comments |= _commented_keys(sub)
    return values, comments


def leaf_paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            yield from leaf_paths(inner, (*path, str(key)))
    else:
        yield path


def known_path(defaults: Mapping[str, Any], comments: set[str], path: Sequence[str]) -> bool:
    current: Any = defaults
    for index, key in enumerate(path):
        if index and path[index - 1] in FREE_FORM:
            return True
        if not isinstance(current, Mapping):
            return True  # under a list or a scalar the chart renders whole (toYaml)
        if key in current:
            current = current[key]
            continue
        return not current or key in comments  # an empty map is free-form
    return True


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(loaded) if isinstance(loaded, Mapping) else {}


COMMENTED_KEY = re.compile(r"^\s*#+\s*([A-Za-z_][\w.-]*):")


def _commented_keys(path: Path) -> set[str]:
    return {
        m.group(1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if (m := COMMENTED_KEY.match(line))
    }
