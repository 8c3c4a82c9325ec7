"""Render time per environment: every kustomization built with the real kustomize from the
upstream cache (`mlplat render`'s work, schemas and apply order included), cold (an empty
results cache: every build made, scratch git mirrors included) and warm (the same inputs
again: builds reused by digest). Printed, never asserted.

    MLPLAT_UPSTREAM=../shared/upstream .venv/bin/python benchmarks/render.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from mlplat.render import render
from mlplat.synth import synthesize


def main() -> None:
    os.environ["MLPLAT_CACHE"] = tempfile.mkdtemp(prefix="mlplat-bench-")  # cold at first
    print(f"{'env':<10}{'directories':>12}{'objects':>9}{'cold':>9}{'warm':>9}")
    for name in ("dev", "staging", "prod"):
        resources = json.loads(json.dumps(synthesize(name).state))["deployment"]["resources"]
        times = []
        with tempfile.TemporaryDirectory() as scratch:
            for _ in range(2):
                started = time.perf_counter()
                result = render(resources, Path(scratch) / name)
                times.append(time.perf_counter() - started)
        count = len(result.objects) + len(result.failed)
        print(
            f"{name:<10}{count:>12}{sum(result.objects.values()):>9}"
            f"{times[0]:>8.1f}s{times[1]:>8.1f}s"
        )


if __name__ == "__main__":
    main()
