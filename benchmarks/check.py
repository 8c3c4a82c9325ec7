"""Policy checking cost per resource: our rules versus checkov, printed (never asserted).

On the prod state, and on prod replicated to about 5,000 resources (every URN and dependency
renamed per copy, so stack rules see 40 VPCs, not one). Our side is `check_state` (every rule,
in process); checkov's is the pinned checkov over the same state's terraform_plan export, timed
as a whole run and with its fixed start-up (an empty plan) taken off.

`per res` compares whole runs; `marginal` takes checkov's start-up off first (the fairer figure
at scale, and the one the target is judged on).

Our side reads the state as `mlplat check` does (`mlplat.state.parse`: secrets, nulls, lifecycle
markers), timed apart from the rules. Then a whole `mlplat check --all` with the linters, warm (a
second run, the linters' environments already built), as CI runs it.

Target (issue 14): our rules at least 30x faster per resource than checkov on the 14,000-resource
state (the `marginal` column).

    .venv/bin/python benchmarks/check.py [--copies 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mlplat.check import check_state
from mlplat.checkov_bridge import run_checkov, to_terraform_plan
from mlplat.policy_config import generate
from mlplat.state import parse
from mlplat.synth import synthesize


def replicate(resources: list[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
    """`copies` renamed copies of every resource but the stack; references follow the copy."""
    stack = [r for r in resources if r["type"] == "pulumi:pulumi:Stack"]
    rest = [r for r in resources if r["type"] != "pulumi:pulumi:Stack"]
    text = json.dumps(rest)
    out = list(stack)
    for copy in range(copies):
        # Rename every logical name (the URN's last part) so copies never collide.
        renamed = text.replace("::prod", f"::prod{copy}")
        out += json.loads(renamed)
    return out


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def checkov_seconds(resources: list[dict[str, Any]]) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        plan = Path(scratch) / "tfplan.json"
        plan.write_text(json.dumps(to_terraform_plan(resources).document))
        return seconds(lambda: run_checkov([("terraform_plan", plan)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    copies = parser.parse_args().copies

    config = json.loads(generate("prod"))
    prod = synthesize("prod").state["deployment"]["resources"]
    scaled = replicate(prod, copies)
    startup = checkov_seconds([])  # checkov's fixed cost: interpreter, imports, an empty plan
    print(f"checkov start-up (empty plan): {startup:.2f}s")
    print(f"{'state':<10}{'resources':>10}{'ours':>10}{'ours/res':>11}{'checkov':>10}"
          f"{'ckv/res':>11}{'ckv-start/res':>15}{'per res':>9}{'marginal':>10}")  # fmt: skip
    reading = {}
    for label, resources in (("prod", prod), (f"prod x{copies}", scaled)):
        text = json.dumps({"version": 3, "deployment": {"resources": resources}})
        reading[label] = (seconds(lambda text=text: parse(text, "bench")), len(text))
        checkpoint = parse(text, label)
        check_state(checkpoint, "prod", config)  # warm
        ours = seconds(lambda checkpoint=checkpoint: check_state(checkpoint, "prod", config))
        theirs = checkov_seconds(resources)
        n = len(resources)
        marginal = max(theirs - startup, 0.0)
        print(
            f"{label:<10}{n:>10}{ours:>9.2f}s{ours / n * 1e3:>9.3f}ms{theirs:>9.2f}s"
            f"{theirs / n * 1e3:>9.3f}ms{marginal / n * 1e3:>13.3f}ms{theirs / ours:>8.0f}x"
            f"{marginal / ours:>9.1f}x"
        )
    for label, (took, size) in reading.items():
        print(f"reading {label}: {took:.2f}s for {size / 1e6:.1f} MB")
    mlplat = str(Path(sys.executable).parent / "mlplat")
    subprocess.run([mlplat, "synth", "--all"], check=True, capture_output=True)
    for attempt in ("cold", "warm"):
        took = seconds(
            lambda: subprocess.run([mlplat, "check", "--all"], check=False, capture_output=True)
        )
        print(f"mlplat check --all with linters ({attempt}): {took:.1f}s")


if __name__ == "__main__":
    main()
