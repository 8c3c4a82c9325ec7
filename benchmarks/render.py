"""Render time per environment: every kustomization built with the real kustomize and every
chart the upstream cache holds whole rendered with the real Helm (`mlplat render`'s work,
schemas and apply order included), cold (an empty results cache: every build made, scratch git
mirrors included) and warm (the same inputs again: builds reused by digest). Then each whole
chart on its own, cold and warm. Printed, never asserted.

    MLPLAT_UPSTREAM=../shared/upstream .venv/bin/python benchmarks/render.py

The shared cache holds charts' values only: point `MLPLAT_UPSTREAM` at a cache that
`mlplat upstream fetch` filled to time the charts too.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlplat import helm
from mlplat.chart_values import CHART, upstream_cache
from mlplat.render import render
from mlplat.synth import synthesize

ENVIRONMENTS = ("dev", "staging", "prod")


def main() -> None:
    states = {
        name: json.loads(json.dumps(synthesize(name).state))["deployment"]["resources"]
        for name in ENVIRONMENTS
    }
    os.environ["MLPLAT_CACHE"] = tempfile.mkdtemp(prefix="mlplat-bench-")  # cold at first
    print(f"{'env':<10}{'directories':>12}{'charts':>8}{'objects':>9}{'cold':>9}{'warm':>9}")
    for name, resources in states.items():
        times = []
        with tempfile.TemporaryDirectory() as scratch:
            for _ in range(2):
                started = time.perf_counter()
                result = render(resources, Path(scratch) / name)
                times.append(time.perf_counter() - started)
        whole = sum("rendered" in status for status in result.charts.values())
        count = len(result.objects) - whole + len(result.failed)
        print(
            f"{name:<10}{count:>12}{whole:>8}{sum(result.objects.values()):>9}"
            f"{times[0]:>8.1f}s{times[1]:>8.1f}s"
        )
    _charts(states["prod"])


def _charts(resources: list[Mapping[str, Any]]) -> None:
    """Each chart of prod's state that the cache holds whole, timed on its own."""
    cache = upstream_cache()
    releases = [
        (str(r["urn"]).rsplit("::", 1)[-1], helm.Release.of(r, cache))
        for r in resources
        if r["type"] == CHART
    ]
    whole = [(n, r) for n, r in releases if helm.whole_chart_cached(r.folder)]
    if not whole:
        print(f"charts: none of {len(releases)} is whole in {cache} (values only): not timed")
        return
    os.environ["MLPLAT_CACHE"] = tempfile.mkdtemp(prefix="mlplat-bench-charts-")
    print(f"\n{'chart (prod)':<32}{'objects':>9}{'cold':>9}{'warm':>9}")
    for name, release in whole:
        times = []
        for _ in range(2):
            started = time.perf_counter()
            objects = helm.render(release)
            times.append(time.perf_counter() - started)
        print(f"{name:<32}{len(objects):>9}{times[0]:>8.2f}s{times[1]:>8.2f}s")


if __name__ == "__main__":
    main()
