"""`make plan`'s steps for dev, staging and prod, timed cold (an empty results cache: every
kustomize build and checkov run made afresh) and warm (the same inputs again: reused), with the
number of rendered objects the check judged. The linters' own environments are built before the
cold run (first use only, `mlplat/tools.py`) and are not part of either. Printed, never asserted.

    MLPLAT_UPSTREAM=../shared/upstream .venv/bin/python benchmarks/plan.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MLPLAT = str(Path(sys.executable).parent / "mlplat")
STEPS = (("synth", []), ("render", []), ("draw", []), ("check", ["--format", "json"]))


def run_plan(build: Path, environment: dict[str, str]) -> tuple[dict[str, float], int]:
    times, rendered = {}, 0
    for step, extra in STEPS:
        started = time.perf_counter()
        done = subprocess.run(
            [MLPLAT, step, "--all", "--out", str(build), *extra],
            env=environment, capture_output=True, text=True, check=False,
        )  # fmt: skip
        times[step] = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"mlplat {step} --all failed: {done.stderr.strip()[-400:]}")
        if step == "check":
            reports = json.loads(done.stdout)["environments"]
            rendered = sum(r["summary"]["rendered_objects"] for r in reports)
    return times, rendered


def main() -> None:
    from mlplat.tools import tool

    tool("checkov"), tool("parliament")  # their environments: built on first use, not timed
    with tempfile.TemporaryDirectory() as scratch:
        environment = {**os.environ, "MLPLAT_CACHE": str(Path(scratch) / "results")}
        header = "".join(f"{s:>9}" for s, _ in STEPS)
        print(f"{'run':<6}{header}{'total':>9}{'rendered objects checked':>27}")
        for run in ("cold", "warm"):
            times, rendered = run_plan(Path(scratch) / "build", environment)
            cells = "".join(f"{times[s]:>8.1f}s" for s, _ in STEPS)
            print(f"{run:<6}{cells}{sum(times.values()):>8.1f}s{rendered:>27}")
    print(f"({os.cpu_count()} cores; target: warm total under 60 s)")


if __name__ == "__main__":
    main()
