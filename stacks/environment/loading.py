"""Reading `environments/Pulumi.<env>.yaml`: bounded YAML, the stack file's shape, the typed
spec and the cross-checks, every problem reported at once; promotion neighbours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stacks.environment.cross_checks import consistency_problems, cross_environment_problems
from stacks.environment.models import ENVIRONMENT_KEY, EnvironmentSpec, Problem, SpecError

ENVIRONMENTS_DIR = Path(__file__).resolve().parents[2] / "environments"
# Config keys a stack file may hold besides the environment. Anything else is a typo.
OTHER_CONFIG_KEYS = frozenset({"pulumi:disable-default-providers"})
STACK_FILE_KEYS = frozenset({"config", "secretsprovider", "encryptedkey", "encryptionsalt"})
PROMOTION_ORDER = ("dev", "staging", "prod")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{1,15}$")


def environment_file(name: str, env_dir: Path | None = None) -> Path:
    return (env_dir or ENVIRONMENTS_DIR) / f"Pulumi.{name}.yaml"


def known_environments(env_dir: Path | None = None) -> list[str]:
    """Environment names in promotion order (dev, staging, prod), then any others by name."""
    files = (env_dir or ENVIRONMENTS_DIR).glob("Pulumi.*.yaml")
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in files]
    return sorted(
        names, key=lambda n: (PROMOTION_ORDER.index(n) if n in PROMOTION_ORDER else 99, n)
    )


# An environment file is a page of YAML: anything much larger, or a web of aliases (whose
# expansion grows exponentially, the "billion laughs"), is refused before it is expanded.
MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 16


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing more than MAX_ALIASES aliases."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name)")
        return super().compose_node(parent, index)


def parse_stack_file(text: str, source: str) -> dict[str, Any]:
    """The raw environment mapping from a stack file's text. Raises SpecError, nothing else."""
    try:
        document = yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader: no object tags
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise SpecError(source, [Problem("(file)", _first_line(err), f"valid YAML{at}")]) from None
    if not isinstance(document, dict):
        raise SpecError(source, [Problem("(file)", document, "a mapping with a `config:` key")])
    problems = [
        Problem(str(key), "(present)", f"only the keys {sorted(STACK_FILE_KEYS)}")
        for key in document
        if key not in STACK_FILE_KEYS
    ]
    config = document.get("config")
    if not isinstance(config, dict):
        problems.append(Problem("config", config, f"a mapping holding `{ENVIRONMENT_KEY}`"))
        raise SpecError(source, problems)
    problems += [
        Problem(
            f"config.{key}", "(present)", f"only {sorted({ENVIRONMENT_KEY, *OTHER_CONFIG_KEYS})}"
        )
        for key in config
        if key != ENVIRONMENT_KEY and key not in OTHER_CONFIG_KEYS
    ]
    raw = config.get(ENVIRONMENT_KEY)
    if not isinstance(raw, dict):
        problems.append(Problem(ENVIRONMENT_KEY, raw, "a mapping describing the environment"))
        raise SpecError(source, problems)
    if problems:
        raise SpecError(source, problems)
    return raw


def validate_environment(
    name: str, raw: Mapping[str, Any], siblings: Mapping[str, Mapping[str, Any]], source: str
) -> EnvironmentSpec:
    """The typed spec, or SpecError listing every problem, including those across environments."""
    problems: list[Problem] = []
    if not ENV_NAME.fullmatch(name):
        problems.append(
            Problem("(file name)", name, "an environment name of lowercase letters, digits, -")
        )
    if "name" in raw:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.name", raw["name"], "no `name`: it comes from the file name"
            )
        )
    spec = None
    try:
        spec = EnvironmentSpec.model_validate({**raw, "name": name})
    except ValidationError as err:
        problems += [_problem(e) for e in err.errors()]
    problems += consistency_problems(name, raw)
    problems += cross_environment_problems(raw, siblings)
    if problems:
        raise SpecError(source, problems)
    assert spec is not None
    return spec


def load_environment(name: str, env_dir: Path | None = None) -> EnvironmentSpec:
    """Reads and validates one environment against its siblings. Raises SpecError on any problem."""
    env_dir = env_dir or ENVIRONMENTS_DIR
    known = known_environments(env_dir)
    path = environment_file(name, env_dir)
    source = _display(path)
    if name not in known:
        raise SpecError(
            _display(env_dir),
            [Problem("environment", name, f"one of {known}, each a file Pulumi.<env>.yaml here")],
            headline="unknown environment",
        )
    text = _read(path, source)
    sibling_texts = []
    for other in known:
        if other == name:
            continue
        try:
            other_path = environment_file(other, env_dir)
            sibling_texts.append((other, _read(other_path, _display(other_path))))
        except SpecError:
            continue
    return _validated(name, source, text, tuple(sibling_texts))


@lru_cache(maxsize=16)
def _validated(
    name: str, source: str, text: str, sibling_texts: tuple[tuple[str, str], ...]
) -> EnvironmentSpec:
    """The spec of these file contents, validated once: a synthesis loads each environment
    several times (the CLI, the program, promotion source and targets). Errors are not cached."""
    raw = parse_stack_file(text, source)
    siblings = {}
    for other, other_text in sibling_texts:
        # A sibling's own errors are reported when that environment is loaded; here it only
        # contributes what it declares validly (its account and CIDR).
        try:
            siblings[other] = parse_stack_file(other_text, "")
        except SpecError:
            continue
    return validate_environment(name, raw, siblings, source)


def promotion_source(spec: EnvironmentSpec, env_dir: Path | None = None) -> EnvironmentSpec | None:
    """The environment this one promotes models from, if any."""
    source = spec.registry.promote_from
    return load_environment(source, env_dir) if source else None


def promotion_targets(spec: EnvironmentSpec, env_dir: Path | None = None) -> list[EnvironmentSpec]:
    """The environments that promote models from this one."""
    others = [load_environment(n, env_dir) for n in known_environments(env_dir) if n != spec.name]
    return [other for other in others if other.registry.promote_from == spec.name]


def _read(path: Path, source: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_STACK_FILE_BYTES:
            raise SpecError(
                source, [Problem("(file)", f"{size} bytes", f"at most {MAX_STACK_FILE_BYTES}")]
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(source, [Problem("(file)", str(err), "a readable UTF-8 file")]) from None


def _problem(error: Mapping[str, Any]) -> Problem:
    loc = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
    loc = loc.removeprefix(".")
    path = f"{ENVIRONMENT_KEY}.{loc}" if loc else ENVIRONMENT_KEY
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(path, error["input"], "no such key (check the spelling)")
    if kind == "missing":
        return Problem(path, "(missing)", "a value: this key is required")
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if message.startswith("Input should be "):
        message = message.removeprefix("Input should be ")
    value = error.get("input")
    if kind == "string_type" and isinstance(value, int):
        message += " (quote it in YAML)"
    return Problem(path, value, message)


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "problem", None) or err)
    return text.splitlines()[0] if text else type(err).__name__


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
