"""`mlplat`: offline synthesis and checks for the platform's environments.

Exit codes: 0 success, 1 checks failed (later commands), 2 bad input (unknown environment, invalid
spec, unreadable file), always with one message and never a traceback.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Mapping
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlplat import cost as cost_model
from mlplat.tools import LinterError
from stacks.environment import EnvironmentSpec, SpecError, known_environments, load_environment

if TYPE_CHECKING:
    from mlplat.check import Report
    from mlplat.render import Rendered
    from mlplat.state import Checkpoint

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


def writable(directory: Path) -> None:
    """Fails, before any work starts, unless `directory` is a folder that can be written, or can
    be made in one: a file, a link to nothing or a read-only place in its way is named."""
    probe = directory
    while True:
        if probe.is_symlink() and not probe.exists():
            fail(f"{directory}: {probe} is a link to nothing; expected a folder to write into")
        if probe.exists():
            if not probe.is_dir():
                fail(f"{directory}: {probe} is a file; expected a folder to write into")
            break
        probe = probe.parent
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as error:
        fail(f"{directory}: cannot write in {probe} ({error.strerror}); expected a writable folder")


def validated(environments: list[str], *, siblings: bool = False) -> None:
    """Every environment is validated before anything is written, so bad input writes nothing.
    `siblings`: the result depends on the other environments too (cross-environment checks, the
    policy config), so an invalid sibling file is named as itself before any work."""
    problems = []
    if siblings:
        environments = list(dict.fromkeys([*environments, *known_environments()]))
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
    from mlplat.parallel import each_environment
    from mlplat.synth import count_by, timed_synthesis, write_all
    from stacks.overlays import stale

    names = chosen_environments(environment, all_environments)
    validated(names, siblings=True)
    for name in names:
        writable(build_dir / name)
    # The program refuses stale generated overlays too; said here, before anything is written.
    if problems := [p for n in names if (p := stale(load_environment(n)))]:
        fail("\n".join(problems))
    results = each_environment(timed_synthesis, names, "synthesizing", workers())
    # Written once every environment has synthesized, all or none: a program error or a failed
    # write leaves build/ as it was.
    try:
        write_all({build_dir / n: (r.state, r.manifests) for n, (r, _) in results.items()})
    except OSError as error:
        fail(f"{build_dir}: cannot write the synthesis ({error}); nothing was replaced")
    counts = {name: count_by(result.state) for name, (result, _) in results.items()}
    seconds = {name: took for name, (_, took) in results.items()}
    out.print(summary_table(counts, seconds, build_dir))


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


@app.command()
def check(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    state: Annotated[
        str | None, typer.Option(help="a state file (`pulumi stack export`), or - for stdin")
    ] = None,
    env: Annotated[str | None, typer.Option("--env", help="the environment of --state")] = None,
    output_format: Annotated[Format, typer.Option("--format")] = Format.text,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ is")] = Path("build"),
    linters: Annotated[
        bool,
        typer.Option(
            help="also run checkov, parliament and kubernetes-validate (pinned, isolated)"
        ),
    ] = True,
) -> None:
    """Every policy rule over a synthesized or exported state. Exit 1 on a mandatory violation,
    2 on bad input or when a rule could not run.

    `--state FILE` alone checks any team's stack: the rules that need an environment's facts are
    skipped (and said so); with `--env ENV` the state must be that environment's stack."""
    from mlplat import report as render
    from mlplat.parallel import each_environment
    from mlplat.render import rendered_children
    from mlplat.state import StateError, read, read_stream

    if state is not None:
        if environment is not None or all_environments:
            fail("--state FILE checks one state: name no environment and no --all (choose one)")
        sources: list[tuple[str | None, str]] = [(env, state)]
    else:
        if env is not None:
            fail("--env goes with --state FILE")
        sources = [
            (n, str(build_dir / n / "state.json"))
            for n in chosen_environments(environment, all_environments)
        ]
    validated([name for name, _ in sources if name is not None], siblings=True)
    judged: list[tuple[str, Checkpoint, str | None, Path | None]] = []
    for name, source in sources:
        shown = "stdin" if source == "-" else source
        try:
            checkpoint = read_stream(sys.stdin, shown) if source == "-" else read(Path(source))
        except StateError as error:
            hint = f"; run `mlplat synth {name}` first" if state is None else ""
            fail(f"{error}{hint}")
        if name is not None and checkpoint.stack and checkpoint.stack != name:
            fail(
                f"{shown}: the state is of stack {checkpoint.stack!r}; expected {name!r} "
                f"(--env {name}), or leave --env out to check it as any team's stack"
            )
        k8s = build_dir / name / "k8s" if state is None and name else None
        if state is None and name:
            checkpoint, _ = rendered_children(checkpoint, build_dir / name / "rendered")
        judged.append((shown, checkpoint, name, k8s))
    if state is None:
        work = partial(_judge, {n: (c, k) for _, c, n, k in judged if n}, linters)
        by_name = each_environment(work, [n for _, _, n, _ in judged if n], "checking", workers())
        reports = [by_name[n] for _, _, n, _ in judged if n]
    else:
        reports = [full_check(c, n, k, linters=linters) for _, c, n, k in judged]
    incomplete = [
        f"{shown}: {error}"
        for (shown, *_), report in zip(judged, reports, strict=True)
        for error in report.errors
    ]
    if output_format is Format.text:
        out.print(render.text(reports))
    else:
        writer = {
            Format.json: render.as_json,
            Format.sarif: render.sarif,
            Format.markdown: render.markdown,
        }
        print(writer[output_format](reports))
    if incomplete:
        fail("the verdict is incomplete: " + "; ".join(incomplete))
    if any(r.mandatory or r.undecided for r in reports):
        raise typer.Exit(1)


def workers() -> int:
    """How many environments `--all` runs at once (MLPLAT_JOBS, default one per core)."""
    from mlplat.parallel import jobs

    try:
        return jobs()
    except ValueError as error:
        fail(str(error))


def _judge(
    prepared: Mapping[str, tuple[Checkpoint, Path | None]], linters: bool, name: str
) -> Report:
    """`full_check` of one environment of `check --all` (a worker of mlplat/parallel.py)."""
    checkpoint, k8s = prepared[name]
    return full_check(checkpoint, name, k8s, linters=linters)


def full_check(
    checkpoint: Checkpoint, name: str | None, k8s: Path | None, *, linters: bool
) -> Report:
    """What `mlplat check` reports for one state: every rule at the environment's levels, then
    (unless `linters` is off) checkov, parliament and kubernetes-validate. The PR comment's
    verdict is this one."""
    from mlplat.check import check_state, unused_upstream_waivers, with_linters
    from mlplat.policy_config import checkov_waivers, policy_config_file, upstream_waivers

    config = current_policy_config(name, policy_config_file(name)) if name else {}
    result = check_state(checkpoint, name, config)
    spec = load_environment(name) if name else None
    upstream = upstream_waivers(spec) if spec else {}
    if linters:
        waivers = checkov_waivers(spec) if spec else {}
        try:
            result = with_linters(result, checkpoint, k8s, waivers, upstream)
        except LinterError as error:
            fail(f"{error} (or run with --no-linters to check without them)")
    return unused_upstream_waivers(result, upstream, checkov=linters)


def current_policy_config(name: str, path: Path) -> dict:
    """The committed policy config, refused if the environment files have moved on since."""
    import json

    from mlplat.policy_config import generate

    fresh = generate(name)
    if not path.is_file() or path.read_text(encoding="utf-8") != fresh:
        fail(
            f"{path} is missing or stale against the environment files: "
            "run `mlplat policy-config --all`"
        )
    return json.loads(fresh)


@app.command()
def render(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ is")] = Path("build"),
) -> None:
    """What the provider would build from each kustomization (from the upstream cache,
    MLPLAT_UPSTREAM) into build/<env>/rendered/; charts' values checked. Exit 1 if anything
    did not render or a chart sets a value it does not read."""
    from components.catalog import KUBERNETES_VERSION
    from mlplat.parallel import each_environment

    names = chosen_environments(environment, all_environments)
    validated(names)
    for name in names:
        writable(build_dir / name / "rendered")
    results = each_environment(partial(_render_one, build_dir), names, "rendering", workers())
    failed = False
    for name, result in results.items():
        table = Table(title=f"{name}: rendered into {build_dir / name / 'rendered'}")
        for column in ("resource", "objects", "status"):
            table.add_column(column)
        for resource, count in sorted(result.objects.items()):
            table.add_row(Text(resource), str(count), "rendered")
        for resource, why in sorted(result.failed.items()):
            table.add_row(Text(resource), "0", Text(why))
        for resource, what in sorted(result.charts.items()):
            table.add_row(Text(resource), "-", Text(what))
        for problem in result.chart_problems:
            table.add_row(Text(problem.urn.rsplit("::", 1)[-1]), "-", Text(problem.message))
        for directory, carriers in sorted(result.placeholders.items()):
            for carrier in carriers:
                why = f"placeholder content (file not in the cache): {carrier}"
                table.add_row(Text(directory), "-", Text(why))
        for order in result.order_problems:
            table.add_row(Text("apply order"), "-", Text(order))
        for schema_problem in result.schema_problems:
            table.add_row(Text("schema"), "-", Text(schema_problem))
        out.print(table)
        checked = result.validation
        out.print(
            f"{name}: {sum(result.objects.values())} objects rendered; {checked.objects} objects "
            f"validated against Kubernetes {KUBERNETES_VERSION} and their CRDs ({checked.custom} "
            f"custom resources, {checked.rules} CEL rules); apply order: "
            f"{len(result.order_problems) or 'no'} problems",
            highlight=False,
        )
        failed = failed or not result.ok
    if failed:
        raise typer.Exit(1)


upstream_app = typer.Typer(
    help="The upstream cache (MLPLAT_UPSTREAM): kustomize trees, CRDs and charts at the pins.",
    no_args_is_help=True,
)
app.add_typer(upstream_app, name="upstream")


@upstream_app.command("fetch")
def upstream_fetch(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ is")] = Path("build"),
) -> None:
    """Fill the upstream cache from the internet at the refs and versions the synthesized states
    pin (needs network: git, GitHub, the charts' repositories). Trees already cached are kept."""
    from mlplat.chart_values import upstream_cache
    from mlplat.state import StateError, read
    from mlplat.upstream import FetchError, fetch

    names = chosen_environments(environment, all_environments)
    validated(names)
    resources = []
    for name in names:
        try:
            resources += list(read(build_dir / name / "state.json").resources)
        except StateError as error:
            fail(f"{error}; run `mlplat synth {name}` first")
    cache = upstream_cache()
    try:
        with Console(stderr=True).status(f"fetching what {', '.join(names)} pin into {cache}…"):
            fetched = fetch(resources, cache)
    except FetchError as error:
        fail(f"{error}; what was fetched before stays in {cache}")
    for path in fetched.added:
        out.print(Text(f"added {path}"))
    out.print(f"{cache}: {len(fetched.added)} added, {len(fetched.kept)} already cached")


def _render_one(build_dir: Path, name: str) -> Rendered:
    """`render` of one environment (a worker of mlplat/parallel.py)."""
    from mlplat.render import render as render_environment
    from mlplat.state import StateError, read

    try:
        checkpoint = read(build_dir / name / "state.json")
    except StateError as error:
        fail(f"{error}; run `mlplat synth {name}` first")
    live = [r for r in checkpoint.resources if not r["delete"]]
    return render_environment(live, build_dir / name / "rendered")


class CostFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def cost(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    output_format: Annotated[CostFormat, typer.Option("--format")] = CostFormat.text,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ is")] = Path("build"),
) -> None:
    """Monthly cost, idle and at the ceiling, line by line, from build/<env>/state.json."""
    from mlplat import cost as costs

    names = chosen_environments(environment, all_environments)
    validated(names)
    estimates = []
    for name in names:
        path = build_dir / name / "state.json"
        try:
            estimates.append(costs.estimate(costs.read_state(path), name))
        except costs.CostError as error:
            hint = f"; run `mlplat synth {name}` first" if not path.is_file() else ""
            fail(f"{error}{hint}")
    if output_format is CostFormat.json:
        print(costs.as_json(estimates))
    elif output_format is CostFormat.markdown:
        print(costs.markdown(estimates))
    else:
        for estimate in estimates:
            out.print(cost_table(estimate))
            if estimate.teams:
                out.print(team_gpu_table(estimate))


def cost_table(estimate: cost_model.Estimate) -> Table:
    table = Table(
        title=f"{estimate.environment}: monthly cost, {estimate.region} prices of "
        f"{estimate.prices_as_of}",
        caption=f"idle {estimate.idle / estimate.floor:.2f}x the floor "
        f"(${estimate.floor:,.0f}: control plane, minimum system nodes, one NAT); "
        f"GPU idle ${estimate.gpu_idle:,.0f}; not estimated: " + "; ".join(estimate.usage_based),
    )
    for column in ("component", "what", "idle", "ceiling", "share of ceiling"):
        table.add_column(column, justify="right" if column in ("idle", "ceiling") else "left")
    total = estimate.ceiling or 1.0
    for line in estimate.lines:
        table.add_row(
            Text(line.component),
            Text(line.item),
            f"${line.idle:,.0f}",
            f"${line.ceiling:,.0f}",
            f"{line.ceiling / total:.0%}",
        )
    table.add_section()
    table.add_row("total", "", f"${estimate.idle:,.0f}", f"${estimate.ceiling:,.0f}", "")
    return table


def team_gpu_table(estimate: cost_model.Estimate) -> Table:
    table = Table(
        title=f"{estimate.environment}: GPUs per team queue (Kueue), a month at each pool's "
        "lowest GPU-hour price"
    )
    for column in ("team queue", "nominal GPUs", "borrowable GPUs", "at nominal", "at full"):
        table.add_column(column, justify="left" if column == "team queue" else "right")
    for team in estimate.teams:
        table.add_row(
            Text(team.queue),
            str(team.nominal),
            str(team.borrowable),
            f"${team.nominal_usd:,.0f}",
            f"${team.full_usd:,.0f}",
        )
    return table


@app.command()
def draw(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
    build_dir: Annotated[Path, typer.Option("--out", help="where build/<env>/ is")] = Path("build"),
) -> None:
    """Write build/<env>/architecture.svg and .png from build/<env>/state.json."""
    from mlplat.architecture import drawing
    from mlplat.state import StateError

    names = chosen_environments(environment, all_environments)
    validated(names)
    for name in names:
        writable(build_dir / name)
    for name in names:
        if not (build_dir / name / "state.json").is_file():
            fail(f"{build_dir / name / 'state.json'}: missing; run `mlplat synth {name}` first")
    # Every environment drawn before any file is written: all or none.
    files: dict[Path, bytes] = {}
    for name in names:
        try:
            files.update(drawing(name, build_dir))
        except StateError as error:
            fail(str(error))
    try:
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as error:
        fail(f"{error.filename}: cannot write the drawing ({error.strerror})")
    for path in files:
        out.print(f"wrote {path}", highlight=False, markup=False)


@app.command("pr-comment")
def pr_comment(
    base: Annotated[Path, typer.Option("--base", help="build dir of the base branch")],
    head: Annotated[Path, typer.Option("--head", help="build dir of the change")],
    preview_json: Annotated[
        list[Path] | None,
        typer.Option("--preview-json", help="`pulumi preview --json` output (repeatable)"),
    ] = None,
    linters: Annotated[
        bool, typer.Option(help="the verdict of `mlplat check` with its linters (default)")
    ] = True,
) -> None:
    """The pull-request comment (markdown, on stdout): steps, dangers, policy results and cost
    delta per environment, from two synthesized build dirs."""
    from mlplat import pr_comment as comment
    from mlplat.render import rendered_children
    from mlplat.state import StateError, read

    names = [n for n in known_environments() if (head / n / "state.json").is_file()]
    if not names:
        fail(f"{head}: no <env>/state.json; run `mlplat synth --all --out {head}` first")
    validated(names, siblings=True)
    try:
        previews = comment.load_previews(preview_json or [])
    except ValueError as error:
        fail(str(error))
    changes = []
    for name in names:
        try:
            head_checkpoint = read(head / name / "state.json")
            head_state = list(head_checkpoint.resources)
            base_path = base / name / "state.json"
            base_state = list(read(base_path).resources) if base_path.is_file() else []
        except StateError as error:
            fail(str(error))
        change = comment.EnvironmentChange(name, comment.diff_states(base_state, head_state))
        if name in previews:
            change.steps, change.source = previews[name], "`pulumi preview`"
        judged, _ = rendered_children(head_checkpoint, head / name / "rendered")
        change.report = full_check(judged, name, head / name / "k8s", linters=linters)
        try:
            change.head_cost = cost_model.estimate(head_state, name)
            change.base_cost = cost_model.estimate(base_state, name) if base_state else None
        except cost_model.CostError as error:
            fail(str(error))
        changes.append(change)
    print(comment.render(changes))


def environment_spec(environment: str) -> EnvironmentSpec:
    validated([environment])
    return load_environment(environment)


@app.command()
def bootstrap(
    environment: Annotated[str, typer.Argument(help="dev, staging or prod")],
) -> None:
    """Create, idempotently, the Pulumi state bucket and secrets key in the environment's own
    account (ambient AWS credentials); print the `pulumi login` and secrets-provider settings."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from mlplat import bootstrap as steps

    spec = environment_spec(environment)
    try:
        outcome, _ = steps.bootstrap(boto3.Session(region_name=spec.region), spec)
    except steps.BootstrapError as error:
        fail(str(error))
    except (BotoCoreError, ClientError) as error:  # the endpoint went away mid-way
        fail(f"AWS did not answer as expected: {error}; run it again (it is idempotent)")
    for what, status in outcome.steps:
        out.print(f"{status:>9}  {what}", highlight=False, markup=False)
    out.print("changed nothing" if not outcome.changed else "done", highlight=False)
    out.print("next:", highlight=False)
    for line in steps.pulumi_settings(spec):
        out.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)


@app.command()
def preflight(
    environment: Annotated[str, typer.Argument(help="dev, staging or prod")],
) -> None:
    """Read-only checks that the account can hold the environment (account, AZs, GPU types,
    quotas). Exit 1 if one fails."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from mlplat import preflight as checks

    spec = environment_spec(environment)
    try:
        results = checks.run(boto3.Session(region_name=spec.region), spec)
    except (BotoCoreError, ClientError) as error:
        fail(f"AWS did not answer as expected: {error}")
    table = Table(title=f"preflight {spec.name} ({spec.account_id}, {spec.region})")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    for check in results:
        table.add_row(Text(check.name), check.status.upper(), Text(check.detail))
    out.print(table)
    if any(check.status == "fail" for check in results):
        raise typer.Exit(1)


@app.command("policy-config")
def policy_config(
    environment: Annotated[str | None, typer.Argument(help="dev, staging or prod")] = None,
    all_environments: Annotated[bool, typer.Option("--all", help="every environment")] = False,
) -> None:
    """Write environments/policy.<env>.json, the pack's config, from the environment files."""
    from mlplat.policy_config import generate, policy_config_file

    names = chosen_environments(environment, all_environments)
    validated(names, siblings=True)
    writable(policy_config_file(names[0]).parent)
    rendered = {}
    for name in names:
        try:
            rendered[name] = generate(name)
        except SpecError as error:
            fail(str(error))
    for name, text in rendered.items():
        policy_config_file(name).write_text(text, encoding="utf-8")
        out.print(f"wrote {policy_config_file(name)}")


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
            Text(component if component != previous else ""),
            Text(type_),
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
    except Exception as error:  # the last line of defence: one message, never a traceback
        err.print(
            f"mlplat: error: {error.__class__.__name__}: {error} (an mlplat bug: please report it "
            "with the command that caused it)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_BAD_INPUT)
