"""Offline synthesis cost, printed (never asserted).

For each environment: the time to synthesize it in a warm process (validation, the stack program
under the recording mock monitor, the state document) and its resource count, against two floors
that register the same number of resources under the same monitor and build the same document:

- bare: generic `pulumi.CustomResource`s with no inputs (the issue's baseline);
- typed: `aws.ec2.Vpc`s with only their one required input. pulumi-aws classes declare every
  output property up front (20-40 each) and the SDK makes each an asyncio-backed Output, so this
  is the least any program built from pulumi-aws resources can cost per resource.

`ratio` is ours over the bare floor; `vs typed` is ours over the typed floor, i.e. what this
project's own code adds. Then the cold wall time of `mlplat synth --all` in a fresh process.

Targets (issue 3): ratio <= 1.5; all three environments in under 15 s on 2 cores.

    .venv/bin/python benchmarks/synth.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws

from mlplat.mock_cloud import MockCloud
from mlplat.synth import build_state, synthesize
from mlplat.synth import run_program as run_under_mocks
from stacks.environment import known_environments

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def floor(count: int, typed: bool) -> None:
    """`count` resources with (almost) no inputs, same monitor, same state document."""

    def program() -> None:
        for i in range(count):
            if typed:
                aws.ec2.Vpc(f"r{i}", cidr_block="10.0.0.0/16")
            else:
                pulumi.CustomResource("mlplat:bench:Resource", f"r{i}", {})

    cloud = MockCloud(account_id="111122223333", region="eu-west-1", availability_zones=["a"])
    monitor = run_under_mocks(program, project="mlplat", stack="bench", config={}, cloud=cloud)
    build_state(monitor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat

    environments = known_environments()
    synthesize(environments[0])  # warm the imports once, as a long-lived process would be
    print(f"offline synthesis, median of {repeat} warm runs, {os.cpu_count()} cores")
    print(
        f"{'env':<9}{'resources':>10}{'synth':>9}{'bare':>9}{'typed':>9}"
        f"{'ratio':>8}{'vs typed':>10}{'per res':>10}"
    )
    for env in environments:
        # Every resource the program registers, bar the root stack the floors have too.
        count = len(synthesize(env).state["deployment"]["resources"]) - 1
        ours = median_seconds(lambda env=env: synthesize(env), repeat)
        bare = median_seconds(lambda count=count: floor(count, typed=False), repeat)
        typed = median_seconds(lambda count=count: floor(count, typed=True), repeat)
        print(
            f"{env:<9}{count:>10}{ours * 1000:>7.0f}ms{bare * 1000:>7.0f}ms{typed * 1000:>7.0f}ms"
            f"{ours / bare:>8.2f}{ours / typed:>10.2f}{ours / count * 1000:>8.2f}ms"
        )

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mlplat", "synth", "--all", "--out", out],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        cold = time.perf_counter() - started
    print(f"cold `mlplat synth --all` (new process, imports included): {cold:.2f}s")


if __name__ == "__main__":
    main()
