"""`mlplat`: offline synthesis and checks for the platform's environments.

Exit codes: 0 success, 1 checks failed (later commands), 2 bad input (unknown environment, invalid
spec, unreadable file), always with one message and never a traceback.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from stacks.environment import SpecError, known_environments, load_environment

app = typer.Typer(
    help="Offline synthesis and checks for the mlplat ML platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Wide enough for resource type tokens when output is not a terminal (CI logs, pipes).
out = Console(width=shutil.get_terminal_size((140, 40)).columns)
err = Console(stderr=True)

EXIT_BAD_INPUT = 2


@app.callback()
def _commands() -> None:
    """Keeps `mlplat <command>` form while only one command exists."""


def fail(message: str) -> NoReturn:
    err.print(f"mlplat: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def chosen_environments(environment: str | None, all_environments: bool) -> list[str]:
    if all_environments == (environment is not None):
        fail(f"name one environment or --all (choose one); environments: {known_environments()}")
    return known_environments() if all_environments else [environment or ""]


def validated(environments: list[str]) -> None:
    """Every environment is validated before anything is written, so bad input writes nothing."""
    problems = []
    for name in environments:
        try:
            load_environment(name)
        except SpecError as error:
            problems.append(str(error))
    if problems:
        fail("\n".join(problems))


@app.command()
def synth(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ goes")] = Path(
        "build"
    ),
) -> None:
    """Run the stack program offline; write build/<env>/state.json and build/<env>/k8s/."""
    from mlplat.synth import count_by, synthesize, write_outputs

    names = chosen_environments(environment, all_environments)
    validated(names)
    counts: dict[str, dict[tuple[str, str], int]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        result = synthesize(name)
        write_outputs(build_dir / name, result.state, result.manifests)
        seconds[name] = time.perf_counter() - started
        counts[name] = count_by(result.state)
    out.print(summary_table(counts, seconds, build_dir))


def summary_table(
    counts: dict[str, dict[tuple[str, str], int]], seconds: dict[str, float], build_dir: Path
) -> Table:
    names = list(counts)
    table = Table(title=f"Offline synthesis → {build_dir}/<env>/state.json")
    table.add_column("component")
    table.add_column("resource type")
    for name in names:
        table.add_column(name, justify="right")
    rows = sorted({key for per_env in counts.values() for key in per_env})
    previous = None
    for component, type_ in rows:
        table.add_row(
            component if component != previous else "",
            type_,
            *(str(counts[n].get((component, type_), "")) for n in names),
        )
        previous = component
    table.add_section()
    table.add_row("total", "", *(str(sum(counts[n].values())) for n in names))
    table.add_row("time", "", *(f"{seconds[n]:.2f}s" for n in names))
    return table


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
