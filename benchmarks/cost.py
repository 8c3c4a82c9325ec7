"""`mlplat cost` against its targets, printed (never asserted): GPU idle cost $0 in every
environment, and dev's idle cost within 1.3x its floor (EKS control plane + minimum system
nodes + one NAT gateway), the gap explained line by line. Also how long an estimate takes.
"""

from __future__ import annotations

import time

from mlplat.cost import estimate
from mlplat.synth import synthesize
from stacks.environment import known_environments

FLOOR_TARGET = 1.3


def main() -> None:
    print(f"{'env':<9}{'idle':>9}{'ceiling':>10}{'floor':>8}{'idle/floor':>12}{'GPU idle':>10}"
          f"{'estimate':>10}")  # fmt: skip
    estimates = {}
    for name in known_environments():
        resources = synthesize(name).state["deployment"]["resources"]
        started = time.perf_counter()
        result = estimate(resources, name)
        took = (time.perf_counter() - started) * 1e3
        estimates[name] = result
        print(
            f"{name:<9}{result.idle:>9,.0f}{result.ceiling:>10,.0f}{result.floor:>8,.0f}"
            f"{result.idle / result.floor:>12.2f}{result.gpu_idle:>10,.0f}{took:>8.1f}ms"
        )
    gpu_idle = {n: e.gpu_idle for n, e in estimates.items()}
    verdict = "met" if not any(gpu_idle.values()) else "NOT met"
    print(f"\ntarget GPU idle $0 in every environment: {verdict} {gpu_idle}")
    dev = estimates["dev"]
    ratio = dev.idle / dev.floor
    verdict = "met" if ratio <= FLOOR_TARGET else "NOT met"
    print(f"target dev idle <= {FLOOR_TARGET}x floor: {verdict} ({ratio:.2f}x, "
          f"${dev.idle:,.0f} against ${dev.floor:,.0f})")  # fmt: skip
    print("dev's idle above its floor, line by line:")
    floor_parts = ("cluster", "system nodes")
    nat_in_floor = False
    for line in dev.lines:
        above = line.idle
        if line.component in floor_parts:
            above = 0.0
        elif line.component == "network" and "NAT" in line.item and not nat_in_floor:
            nat_in_floor = True
            count = int(line.item.split()[0])
            above = line.idle * (count - 1) / count
        if above >= 0.5:
            print(f"  ${above:>7,.0f}  {line.component}: {line.item} ({line.basis})")


if __name__ == "__main__":
    main()
