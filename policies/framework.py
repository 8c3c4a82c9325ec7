"""The rule model shared by the CrossGuard pack and the offline checker.

A rule is a pure function over camelCase props (resource rules) or over every resource of the stack
(stack rules) that yields violation messages. The same function runs:
- inside `pulumi preview/up --policy-pack policies` (policies/__main__.py adapts it to CrossGuard);
- offline, over a state file (`mlplat check`).

Props reach rules wrapped in pulumi-policy's unknown-checking proxy in both places, so a value that
is unknown before deployment raises `UnknownValueError` when read, and is reported as unknown,
never as a pass. Rules therefore test `Mapping`/`Sequence`, never `dict`/`list`.

This package imports nothing of the project: the pack runs in its own environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

Severity = Literal["low", "medium", "high", "critical"]
Props = Mapping[str, Any]
Config = Mapping[str, Any]
Findings = Iterator[str]  # what a resource check yields: violation messages
StackFindings = Iterator[tuple[str, str]]  # what a stack check yields: (urn, message)

__all__ = [
    "Config",
    "Ctx",
    "Findings",
    "NotApplicable",
    "Resource",
    "ResourceRule",
    "Rule",
    "StackFindings",
    "StackRule",
    "Undecided",
    "UnknownValueError",
    "each",
    "unknown_checking_proxy",
]


class NotApplicable(Exception):
    """Raised by a rule when the resource is of its type but the control does not apply."""


class Undecided(str):
    """A stack rule's verdict on one resource that depends on an unknown value: that resource is
    unknown, and the rule goes on judging the others (see `each`)."""


def each(
    resources: Iterable[Resource], judge: Callable[[Resource], Iterable[str]]
) -> StackFindings:
    """Judges every resource on its own: an unknown value in one resource makes that resource's
    verdict unknown (an `Undecided` message), never the whole rule's, so it hides nothing else."""
    for resource in resources:
        found: list[str] = []
        try:
            found.extend(judge(resource))  # what it decided before an unknown still counts
        except UnknownValueError as unknown:
            found.append(Undecided(unknown.message))
        yield from ((resource.urn, message) for message in found)


@dataclass(frozen=True)
class Resource:
    """One resource as a stack rule sees it (a CrossGuard PolicyResource, or a state entry)."""

    urn: str
    type: str
    name: str
    props: Props
    protect: bool = False
    retain_on_delete: bool = False
    parent: str = ""
    dependencies: Sequence[str] = ()
    # prop name -> URNs it was computed from: links resources even while ids are unknown.
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider_props: Props = field(default_factory=dict)

    def refers_to(self, prop: str, target: Resource) -> bool:
        """Whether this resource's `prop` was computed from `target` (its id/arn/name)."""
        return target.urn in self.property_dependencies.get(prop, ())


@dataclass(frozen=True)
class Ctx:
    """What a rule may know besides the props: its config and the resource's identity/options."""

    config: Mapping[str, Any]
    urn: str = ""
    name: str = ""
    type: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    provider_props: Props = field(default_factory=dict)
    # A policy a role or user uses as its permission boundary (and nothing attaches as a grant):
    # known only with the stack in view, so rules that need it declare `stack_context`.
    used_as_boundary: bool = False


def context(resource: Resource, config: Mapping[str, Any], boundaries: Iterable[str] = ()) -> Ctx:
    """The Ctx a resource rule sees for a resource of the stack (`boundaries`: the URNs of the
    policies used as permission boundaries, `facts.boundary_urns`)."""
    return Ctx(
        config=config,
        urn=resource.urn,
        name=resource.name,
        type=resource.type,
        protect=resource.protect,
        retain_on_delete=resource.retain_on_delete,
        provider_props=resource.provider_props,
        used_as_boundary=resource.urn in boundaries,
    )


@dataclass(frozen=True, kw_only=True)
class Rule:
    name: str  # <service>-<resource>-<requirement>
    control: str  # id in shared/CONTROLS.md
    description: str  # one sentence
    severity: Severity
    remediation: str
    # Config properties (JSON schema each); every `default` is the secure value.
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Judges the account's baseline (trail, detectors, account-wide blocks), not one resource:
    # reported in a section of its own, so a stack that is not the baseline is not buried in it.
    account_baseline: bool = False

    @property
    def needed_facts(self) -> list[str]:
        """Config properties with no default: facts only an environment's config supplies."""
        return sorted(k for k, v in self.config_schema.items() if "default" not in v)

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_schema.items() if "default" in v}

    def configured(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The secure defaults overlaid with an environment's config (its level dropped)."""
        return {**self.defaults(), **{k: v for k, v in given.items() if k != "enforcementLevel"}}


# In a rule's config: the resource name of a Directory (every object it renders), or
# `<directory>:<namespace>/<name>` (one object) -> why upstream's objects may fail the rule (the
# environment's `upstream_waivers`). Reported, never silently passed.
UPSTREAM_WAIVERS = "upstreamWaivers"


def upstream_waiver(config: Mapping[str, Any], parent_urn: str | None, name: str = "") -> str:
    """Why the rule is waived for the resource `name` (as the provider names a Directory's
    objects: `<directory>:<namespace>/<name>`) under `parent_urn`, or ""."""
    waivers = config.get(UPSTREAM_WAIVERS) or {}
    if not parent_urn or not waivers:
        return ""
    directory = str(parent_urn).rsplit("::", 1)[-1]
    one = name if name.startswith(f"{directory}:") else None
    return str((one and waivers.get(one)) or waivers.get(directory) or "")


ResourceCheck = Callable[[Props, Ctx], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True, kw_only=True)
class ResourceRule(Rule):
    types: tuple[str, ...]  # exact tokens, or a prefix ending in `*` ("aws:*")
    check: ResourceCheck
    # Judges each resource on its own but needs the stack for its Ctx (`used_as_boundary`): the
    # pack runs it as a stack policy.
    stack_context: bool = False

    def applies(self, type_: str) -> bool:
        return any(type_ == t or (t.endswith("*") and type_.startswith(t[:-1])) for t in self.types)

    def evaluate(self, props: Props, ctx: Ctx) -> list[str]:
        """Violation messages; raises NotApplicable or UnknownValueError."""
        return list(self.check(props, ctx))


@dataclass(frozen=True, kw_only=True)
class StackRule(Rule):
    check: StackCheck
    types: tuple[str, ...] = ()  # the kinds it judges together (documentation: the README matrix)

    def evaluate(
        self, resources: Sequence[Resource], config: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """(urn, message) pairs; raises NotApplicable or UnknownValueError."""
        return list(self.check(resources, config))


def resource_rule(
    *,
    name: str,
    control: str,
    types: Sequence[str],
    description: str,
    severity: Severity,
    remediation: str,
    config_schema: Mapping[str, Mapping[str, Any]] | None = None,
    stack_context: bool = False,
) -> Callable[[ResourceCheck], ResourceRule]:
    """Decorates a check function into a ResourceRule (the module's RULE)."""

    def wrap(check: ResourceCheck) -> ResourceRule:
        return ResourceRule(
            name=name,
            control=control,
            types=tuple(types),
            description=description,
            severity=severity,
            remediation=remediation,
            config_schema=dict(config_schema or {}),
            stack_context=stack_context,
            check=check,
        )

    return wrap


def stack_rule(
    *,
    name: str,
    control: str,
    description: str,
    severity: Severity,
    remediation: str,
    config_schema: Mapping[str, Mapping[str, Any]] | None = None,
    account_baseline: bool = False,
    types: Sequence[str] = (),
) -> Callable[[StackCheck], StackRule]:
    def wrap(check: StackCheck) -> StackRule:
        return StackRule(
            types=tuple(types),
            name=name,
            control=control,
            description=description,
            severity=severity,
            remediation=remediation,
            config_schema=dict(config_schema or {}),
            account_baseline=account_baseline,
            check=check,
        )

    return wrap


class Resources(tuple):
    """The stack's resources, indexed by type on first use: stack rules look up each bucket's
    side resources, which would otherwise scan the whole stack once per bucket."""

    @cached_property
    def by_type(self) -> dict[str, list[tuple[int, Resource]]]:
        index: dict[str, list[tuple[int, Resource]]] = {}
        for position, resource in enumerate(self):
            index.setdefault(resource.type, []).append((position, resource))
        return index


def of_types(resources: Iterable[Resource], *types: str) -> Iterator[Resource]:
    """The resources of these types, in the stack's order."""
    if isinstance(resources, Resources):
        found = [entry for t in dict.fromkeys(types) for entry in resources.by_type.get(t, ())]
        return (resource for _, resource in sorted(found, key=lambda entry: entry[0]))
    return (r for r in resources if r.type in types)
