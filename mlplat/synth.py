"""Offline synthesis: run the real stack program under the SDK's mock monitor and write what a
`pulumi stack export` of the result would hold (checkpoint version 3).

The recording monitor sees what `Mocks.new_resource` cannot: parent, dependencies, property
dependencies, protect, retainOnDelete and provider. URNs carry the whole parent type chain
(`a$b$c`), as the engine writes them, instead of the SDK mock's immediate parent only.
"""

from __future__ import annotations

import contextvars
import gc
import hashlib
import heapq
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from mlplat.mock_cloud import MockCloud, parse_default_tags

STATE_VERSION = 3
SYNTH_VERSION = (
    f"mlplat-synth (pulumi sdk {pulumi.__version__})"
    if hasattr(pulumi, "__version__")
    else "mlplat-synth"
)
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig
# What `pulumi stack export` writes in place of a secret is ciphertext; offline there is no key,
# so the value is withheld entirely.
WITHHELD = "[secret withheld by offline synthesis]"


@dataclass
class Record:
    urn: str
    type: str
    custom: bool
    id: str = ""
    parent: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    provider: str = ""
    # How many Pulumi transforms the engine would apply to this resource's children; not state.
    transforms: int = 0
    aliases: list[str] = field(
        default_factory=list
    )  # the URNs it had before, as the engine reads them

    def to_state(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"urn": self.urn, "custom": self.custom, "type": self.type}
        if self.custom:
            resource["id"] = self.id
        resource["inputs"] = _json_value(self.inputs)
        resource["outputs"] = _json_value(self.outputs)
        if self.parent:
            resource["parent"] = self.parent
        if self.protect:
            resource["protect"] = True
        if self.retain_on_delete:
            resource["retainOnDelete"] = True
        if self.dependencies:
            resource["dependencies"] = self.dependencies
        if self.property_dependencies:
            resource["propertyDependencies"] = self.property_dependencies
        if self.provider:
            resource["provider"] = self.provider
        return resource


class RecordingMonitor(MockMonitor):
    """A mock monitor that records every registration the way the engine would store it."""

    def __init__(self, cloud: MockCloud):
        super().__init__(cloud)
        self.cloud = cloud
        self.records: dict[str, Record] = {}
        self.stack_urn = ""
        self._qualified_types: dict[str, str] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent != self.stack_urn:
            qualified = f"{self._qualified_types[parent]}${type_}"
        urn = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified}::{name}"
        self._qualified_types[urn] = qualified
        return urn

    def RegisterResource(self, request: Any) -> Any:
        _ensure_event_loop()
        with self._lock:
            urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            self.records[urn] = Record(urn=urn, type=request.type, custom=False)
            return resource_pb2.RegisterResourceResponse(urn=urn)

        inputs = rpc.deserialize_properties(request.object)
        record = Record(
            urn=urn,
            type=request.type,
            custom=bool(request.custom),
            parent=request.parent or self.stack_urn,
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(deps.urns))
                for key, deps in sorted(request.propertyDependencies.items())
                if deps.urns
            },
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            provider=request.provider if request.custom else "",
            transforms=len(request.transforms),
            aliases=self._alias_urns(request, request.parent or self.stack_urn),
        )
        outputs: dict[str, Any] = {}
        if record.custom:
            default_tags = self._default_tags(request.provider)
            record.inputs = self.cloud.check(request.type, request.name, urn, inputs, default_tags)
            record.id, outputs = self.cloud.create(request.type, request.name, urn, record.inputs)
            record.outputs = outputs
        else:
            record.inputs = inputs
        self.records[urn] = record
        response = _sync_await(rpc.serialize_properties(outputs, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=record.id, object=response)

    def _alias_urns(self, request: Any, parent: str) -> list[str]:
        """The URNs a resource's aliases name, resolved as the engine resolves an alias spec
        (name, type, stack, project and parent default to the resource's own)."""
        urns = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            type_ = spec.type or request.type
            parent_urn = "" if spec.noParent else (spec.parentUrn or parent)
            qualified = type_
            if parent_urn and parent_urn != self.stack_urn:
                qualified = f"{parent_urn.split('::')[2]}${type_}"
            stack, project = spec.stack or pulumi.get_stack(), spec.project or pulumi.get_project()
            urns.append(f"urn:pulumi:{stack}::{project}::{qualified}::{spec.name or request.name}")
        # A child of an aliased parent inherits its aliases (the engine's inheritedChildAlias):
        # the parent's old URN as its own parent, its name's parent prefix renamed alike.
        owner = self.records.get(parent)
        for parent_alias in owner.aliases if owner else []:
            old_parent, new_parent = parent_alias.rsplit("::", 1)[-1], parent.rsplit("::", 1)[-1]
            name = request.name
            if name.startswith(new_parent):
                name = old_parent + name[len(new_parent) :]
            head, qualified = parent_alias.rsplit("::", 2)[0], parent_alias.split("::")[2]
            urns.append(f"{head}::{qualified}${request.type}::{name}")
        return sorted(set(urns))

    def RegisterResourceOutputs(self, request: Any) -> Any:
        _ensure_event_loop()
        record = self.records.get(request.urn)
        if record is not None:
            record.outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)

    def ReadResource(self, request: Any) -> Any:
        raise NotImplementedError(
            f"offline synthesis cannot read cloud resources ({request.type} {request.name})"
        )

    def _default_tags(self, provider_ref: str) -> dict[str, str]:
        provider_urn = provider_ref.rsplit("::", 1)[0] if provider_ref else ""
        provider = self.records.get(provider_urn)
        return parse_default_tags(provider.inputs) if provider else {}


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    cloud: MockCloud,
) -> RecordingMonitor:
    """Runs `program` as the Pulumi engine would (inside a root Stack), against mocks.

    Each run gets a fresh context, so several environments can be synthesized in one process.
    """
    monitor = RecordingMonitor(cloud)

    def run() -> None:
        settings = MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(None),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
        )
        configure(settings)
        pulumi.runtime.set_all_config(dict(config))
        _sync_await(run_in_stack(program))

    # The SDK's Outputs, tasks and futures form a large cyclic graph that lives until the run
    # ends; generation-2 collections over it made time grow with the square of the resources
    # (benchmarks/synth.py). Paused for the run, the collector frees it once after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        contextvars.Context().run(run)
    finally:
        if collecting:
            gc.enable()
        gc.collect()
    return monitor


def build_state(monitor: RecordingMonitor) -> dict[str, Any]:
    magic = hashlib.sha256(SYNTH_VERSION.encode()).hexdigest()
    return {
        "version": STATE_VERSION,
        "deployment": {
            "manifest": {"time": "1970-01-01T00:00:00Z", "magic": magic, "version": SYNTH_VERSION},
            "resources": [
                monitor.records[urn].to_state() for urn in _engine_order(monitor.records)
            ],
        },
    }


def _engine_order(records: Mapping[str, Record]) -> list[str]:
    """A topological order like the engine's: parents, providers and dependencies before their
    dependents; ties broken by URN, so the order never depends on thread timing."""
    before: dict[str, set[str]] = {urn: set() for urn in records}
    for urn, record in records.items():
        needs = {record.parent, *record.dependencies}
        if record.provider:
            needs.add(record.provider.rsplit("::", 1)[0])
        before[urn] = {n for n in needs if n and n in records and n != urn}
    dependents: dict[str, list[str]] = {urn: [] for urn in records}
    for urn, needs in before.items():
        for need in needs:
            dependents[need].append(urn)
    waiting = {urn: len(needs) for urn, needs in before.items()}
    ready = [urn for urn, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        urn = heapq.heappop(ready)
        order.append(urn)
        for dependent in dependents[urn]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) != len(records):
        raise RuntimeError("dependency cycle among registered resources")
    return order


def _json_value(value: Any) -> Any:
    """Deserialized property values to the JSON a state file holds; secrets never in plaintext."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return {SECRET_SIG: SECRET_VALUE, "ciphertext": WITHHELD}
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot write {type(value).__name__} into a state file")


# --- Kubernetes objects the program builds itself -----------------------------------------------


def kubernetes_manifests(state: Mapping[str, Any]) -> dict[str, str]:
    """File name -> YAML for every Kubernetes object in the state that the program built itself.

    Helm charts and remote kustomizations are rendered by the provider at deploy time; only the
    objects with a concrete kind are written.
    """
    files: dict[str, str] = {}
    for resource in state["deployment"]["resources"]:
        type_ = resource["type"]
        if not (resource["custom"] and type_.startswith("kubernetes:")):
            continue
        inputs = resource["inputs"]
        if "apiVersion" not in inputs or "kind" not in inputs:
            continue
        inputs = _manifest_value(inputs)
        if inputs["kind"] == "Secret":
            # A Secret's data is one secret Output as a whole: its keys are withheld too.
            for key in ("data", "stringData"):
                if inputs.get(key) == WITHHELD:
                    inputs[key] = {"withheld": WITHHELD}
        metadata = inputs.get("metadata") or {}
        name = metadata.get("name") or resource["urn"].rsplit("::", 1)[1]
        namespace = metadata.get("namespace") or "cluster"
        file_name = f"{inputs['kind'].lower()}-{namespace}-{name}.yaml"
        files[file_name] = yaml.safe_dump(inputs, sort_keys=True)
    return files


def _manifest_value(value: Any) -> Any:
    """A manifest as `kubectl` would be given it: secret values replaced by WITHHELD."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return WITHHELD
        return {k: _manifest_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_manifest_value(v) for v in value]
    return value


# --- writing -------------------------------------------------------------------------------------


def write_outputs(out_dir: Path, state: Mapping[str, Any], manifests: Mapping[str, str]) -> None:
    """Replaces `out_dir` whole, or leaves it as it was: nothing partial is ever visible."""
    write_all({out_dir: (state, manifests)})


def write_all(outputs: Mapping[Path, tuple[Mapping[str, Any], Mapping[str, str]]]) -> None:
    """Replaces every folder whole, or none: each is written beside its target first, and only
    once all are written are they swapped in (a rename each)."""
    staged: dict[Path, Path] = {}
    try:
        for out_dir, (state, manifests) in outputs.items():
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
            staged[out_dir] = staging
            staging.chmod(0o755)
            (staging / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
            k8s = staging / "k8s"
            k8s.mkdir()
            for file_name, text in sorted(manifests.items()):
                (k8s / file_name).write_text(text)
    except BaseException:
        for staging in staged.values():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    for out_dir, staging in staged.items():
        previous = out_dir.with_name(f".{out_dir.name}-previous-{os.getpid()}")
        if out_dir.exists():
            out_dir.rename(previous)
        staging.rename(out_dir)
        shutil.rmtree(previous, ignore_errors=True)


def stack_config(config_section: Mapping[str, Any]) -> dict[str, str]:
    """Stack config the way the CLI hands it to a program: strings, objects JSON-encoded."""
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in config_section.items()
    }


def count_by(state: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """(top-level component, resource type) -> count, for the summary table."""
    resources = state["deployment"]["resources"]
    by_urn = {r["urn"]: r for r in resources}
    stack_urn = next(r["urn"] for r in resources if r["type"] == "pulumi:pulumi:Stack")
    counts: dict[tuple[str, str], int] = {}
    for resource in resources:
        if resource["urn"] == stack_urn:
            continue
        top = resource
        while top.get("parent") and top["parent"] != stack_urn:
            top = by_urn[top["parent"]]
        if top is resource and not resource["custom"]:
            continue  # the component itself
        label = "(stack)" if top is resource else top["type"]
        key = (label, resource["type"])
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- one environment, end to end ---------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_name(root: Path = PROJECT_ROOT) -> str:
    return str(yaml.safe_load((root / "Pulumi.yaml").read_text())["name"])


@dataclass(frozen=True)
class Synthesis:
    environment: str
    state: dict[str, Any]
    manifests: dict[str, str]
    # URN -> the URNs it may have had before (its aliases): how a refactor proves a deployed
    # stack moves its resources instead of replacing them.
    aliases: dict[str, list[str]] = field(default_factory=dict)


def timed_synthesis(environment: str) -> tuple[Synthesis, float]:
    started = time.perf_counter()
    result = synthesize(environment)
    return result, time.perf_counter() - started


def synthesize(environment: str) -> Synthesis:
    """Validates the environment (SpecError on bad input), then runs the stack program offline."""
    from stacks import program
    from stacks.environment import environment_file, load_environment

    spec = load_environment(environment)
    # Validated above; the program gets the file's whole `config:` as the Pulumi CLI would pass it.
    config = yaml.safe_load(environment_file(environment).read_text(encoding="utf-8"))["config"]
    cloud = MockCloud(
        account_id=spec.account_id, region=spec.region, availability_zones=spec.availability_zones
    )
    monitor = run_program(
        program.main,
        project=project_name(),
        stack=environment,
        config=stack_config(config),
        cloud=cloud,
    )
    state = build_state(monitor)
    aliases = {urn: r.aliases for urn, r in monitor.records.items() if r.aliases}
    return Synthesis(environment, state, kubernetes_manifests(state), aliases)
