"""Reading a checkpoint as the Pulumi engine writes it: `pulumi stack export`, or `mlplat synth`.

A real export differs from a synthesized one (DESIGN.md, the state contract), and every difference
decides what a rule sees:
- secrets are `{SECRET_SIG: "1b47…", "ciphertext": …}` or, with `--show-secrets`, `"plaintext"`
  (the value's JSON text). Plaintext is decoded before any rule runs, as CrossGuard does in
  `pulumi preview`; ciphertext becomes pulumi-policy's unknown sentinel, so a rule that reads it is
  unknown, never a pass, and its path is kept to say why;
- engines up to v3.102 write `null` for empty lists and maps;
- lifecycle markers say which copy of a resource is live and whether the last update finished.

Anything else that is not of the checkpoint's shape is refused with its path, its value and what
was expected: the checker never guesses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
VERSIONS = (3, 4)  # what engines v3 write: 3, or 4 when a stack uses features that need it
STACK_TYPE = "pulumi:pulumi:Stack"
# The largest state read: the 14,000-resource benchmark state is about 60 MB.
MAX_STATE_BYTES = 256 * 1024 * 1024
# Resource options and markers whose absence means false.
FLAGS = ("custom", "protect", "retainOnDelete", "delete", "pendingReplacement", "external")


class StateError(Exception):
    """A state that cannot be checked: unreadable, not JSON, or not a Pulumi checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's resources in the state contract's shape, and what the engine said about
    the last update."""

    version: int
    stack: str  # the stack segment of the URNs ("" for an empty stack)
    resources: tuple[Mapping[str, Any], ...]
    # input paths (`prop.sub`) holding ciphertext, per resource index
    secret_inputs: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    pending_operations: tuple[str, ...] = ()  # "creating urn:…"
    init_errors: tuple[tuple[str, str], ...] = ()  # (urn, message)


def read(path: Path) -> Checkpoint:
    """The checkpoint in a file."""
    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise StateError(
                f"{path}: {path.stat().st_size} bytes; expected a state of at most "
                f"{MAX_STATE_BYTES} bytes"
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"{path}: cannot read the state ({error.__class__.__name__})") from None
    return parse(text, str(path))


def read_stream(stream: TextIO, source: str) -> Checkpoint:
    """The checkpoint on a stream (standard input), read up to the limit."""
    try:
        text = stream.read(MAX_STATE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"{source}: cannot read the state ({error.__class__.__name__})") from None
    if len(text) > MAX_STATE_BYTES:
        raise StateError(f"{source}: more than {MAX_STATE_BYTES} bytes; expected a smaller state")
    return parse(text, source)


def parse(text: str, source: str) -> Checkpoint:
    """The checkpoint in `text` (from `source`, named in every message)."""
    try:
        state = json.loads(text)
    except ValueError as err:
        raise StateError(f"{source}: not JSON ({err})") from None
    if not isinstance(state, dict):
        raise _shape(source, "", state, "a checkpoint object {version, deployment}")
    version = state.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise _shape(source, "version", version, f"a checkpoint version of {list(VERSIONS)}")
    deployment = state.get("deployment")
    if not isinstance(deployment, dict):
        raise _shape(source, "deployment", deployment, "the deployment object of an export")
    raw = deployment.get("resources")
    raw = [] if raw is None else raw
    if not isinstance(raw, list):
        raise _shape(source, "deployment.resources", raw, "a list of resources")
    resources, secrets, errors = [], {}, []
    for index, entry in enumerate(raw):
        resource, secret_paths = normalized_resource(
            entry, f"deployment.resources[{index}]", source
        )
        resources.append(resource)
        if secret_paths:
            secrets[index] = secret_paths
        errors += [(resource["urn"], message) for message in resource.get("initErrors", ())]
    return Checkpoint(
        version=version,
        stack=_stack_name(resources),
        resources=tuple(resources),
        secret_inputs=secrets,
        pending_operations=_pending(deployment.get("pending_operations"), source),
        init_errors=tuple(errors),
    )


def normalized_resource(
    entry: Any, path: str, source: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    if not isinstance(entry, dict):
        raise _shape(source, path, entry, "a resource object")
    for key in ("urn", "type"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise _shape(source, f"{path}.{key}", entry.get(key), f"the resource's {key} (text)")
    if entry["urn"].count("::") < 3 or not entry["urn"].startswith("urn:pulumi:"):
        raise _shape(source, f"{path}.urn", entry["urn"], "urn:pulumi:<stack>::<project>::…")
    resource = dict(entry)
    secret_paths: list[str] = []
    for key in ("inputs", "outputs"):
        value = entry.get(key)
        value = {} if value is None else value
        value = _decoded(value, f"{path}.{key}", source, secret_paths, key == "inputs")
        if not isinstance(value, dict):
            raise _shape(source, f"{path}.{key}", value, "an object of properties (or null)")
        resource[key] = value
    resource["dependencies"] = _urns(entry.get("dependencies"), f"{path}.dependencies", source)
    dependencies = entry.get("propertyDependencies")
    dependencies = {} if dependencies is None else dependencies
    if not isinstance(dependencies, dict):
        raise _shape(source, f"{path}.propertyDependencies", dependencies, "an object or null")
    resource["propertyDependencies"] = {
        prop: _urns(urns, f"{path}.propertyDependencies.{prop}", source)
        for prop, urns in dependencies.items()
    }
    for flag in FLAGS:
        value = entry.get(flag)
        if value is not None and not isinstance(value, bool):
            raise _shape(source, f"{path}.{flag}", value, "true, false or absent")
        resource[flag] = bool(value)
    for key in ("parent", "provider", "id"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise _shape(source, f"{path}.{key}", value, "text or absent")
        resource[key] = value or ""
    init_errors = entry.get("initErrors")
    init_errors = [] if init_errors is None else init_errors
    if not isinstance(init_errors, list):
        raise _shape(source, f"{path}.initErrors", init_errors, "a list of messages or null")
    resource["initErrors"] = [str(message) for message in init_errors]
    return resource, tuple(secret_paths)


def _decoded(value: Any, path: str, source: str, secrets: list[str], track: bool) -> Any:
    """`value` with plaintext secrets decoded and ciphertext made unknown (a null inside stays
    None, which rules read as absent)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            if "plaintext" in value:
                plaintext = value["plaintext"]
                try:
                    decoded = json.loads(plaintext) if isinstance(plaintext, str) else None
                except ValueError:
                    decoded = None
                if decoded is None and plaintext != "null":
                    raise _shape(source, f"{path}.plaintext", plaintext, "a secret's JSON text")
                return _decoded(decoded, path, source, secrets, track)
            if "ciphertext" in value:
                if track:
                    secrets.append(_prop_path(path))
                return UNKNOWN_STRING_VALUE
            raise _shape(source, path, value, "a secret with `ciphertext` or `plaintext`")
        # `__defaults` is the Terraform bridge's note of which properties it defaulted (engines
        # of 2023): bookkeeping, not a property AWS holds.
        return {
            k: _decoded(v, f"{path}.{k}", source, secrets, track)
            for k, v in value.items()
            if k != "__defaults"
        }
    if isinstance(value, list):
        return [_decoded(v, f"{path}[{i}]", source, secrets, track) for i, v in enumerate(value)]
    return value


def _prop_path(path: str) -> str:
    """`tagsAll.env` from `deployment.resources[3].inputs.tagsAll.env`, as the proxy names it."""
    inner = path.split(".inputs", 1)[1].lstrip(".")
    return inner.replace("[", ".").replace("]", "")


def _urns(value: Any, path: str, source: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise _shape(source, path, value, "a list of URNs or null")
    return list(value)


def _pending(value: Any, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _shape(source, "deployment.pending_operations", value, "a list or null")
    found = []
    for index, operation in enumerate(value):
        resource = operation.get("resource") if isinstance(operation, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str):
            raise _shape(
                source,
                f"deployment.pending_operations[{index}]",
                operation,
                "{type, resource: {urn, …}}",
            )
        found.append(f"{operation.get('type') or 'operation'} {resource['urn']}")
    return tuple(found)


def _stack_name(resources: Sequence[Mapping[str, Any]]) -> str:
    stacks = [r for r in resources if r["type"] == STACK_TYPE] or list(resources)
    return str(stacks[0]["urn"]).split(":", 3)[2].split("::", 1)[0] if stacks else ""


def _shape(source: str, path: str, value: Any, expected: str) -> StateError:
    shown = json.dumps(value, default=str)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    where = f"{source}: {path}" if path else source
    return StateError(f"{where}: got {shown}; expected {expected}")
