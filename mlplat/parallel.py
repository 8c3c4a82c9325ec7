"""`--all`: one environment per core, and a status line that says what is still running.

Environments share nothing while they are synthesized, rendered or checked, so `mlplat synth`,
`render` and `check --all` hand each to its own process (at most one per core) and report the
results in the order asked. The status goes to stderr and only to a terminal: piped output and
CI logs get the results alone.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from rich.console import Console

T = TypeVar("T")
STATUS = Console(stderr=True)


def jobs() -> int:
    """Processes for `--all`: `MLPLAT_JOBS`, else one per core. ValueError when not a whole
    number of at least 1."""
    given = os.environ.get("MLPLAT_JOBS", "")
    if not given:
        return os.cpu_count() or 1
    if not given.isdigit() or int(given) < 1:
        raise ValueError(
            f"MLPLAT_JOBS: got {given!r}; expected a whole number of processes, at least 1"
        )
    return int(given)


def each_environment(
    work: Callable[[str], T], names: Sequence[str], doing: str, workers: int
) -> dict[str, T]:
    """{name: work(name)} in the order of `names`, on up to `workers` processes; `work` must be
    picklable (a module-level function, or a partial of one). An exception (bad input, a failed
    tool) in any environment is raised here, as if run in turn. In-process when one worker."""
    workers = min(len(names), workers)
    if workers <= 1:
        results = {}
        for name in names:
            with STATUS.status(f"{doing} {name}…"):
                results[name] = work(name)
        return results
    # spawn, never fork: a process with threads (grpc, a test runner) can fork a worker that
    # deadlocks on a lock some thread held; a fresh interpreter costs an import, about a second.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future[T], str] = {pool.submit(work, name): name for name in names}
        pending = set(futures)
        with STATUS.status(f"{doing} {', '.join(names)}…") as status:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # an error stops here, before the other results are used
                left = [futures[f] for f in futures if f in pending]
                if left:
                    status.update(f"{doing} {', '.join(left)}…")
        return {futures[f]: f.result() for f in futures}
