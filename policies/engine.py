"""Runs rules and classifies every evaluation: pass, fail, not applicable or unknown.

Used by the offline checker and the tests; the CrossGuard adapter in __main__.py relies on the
SDK for the same classification (it catches the same two exceptions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from policies.framework import (
    Ctx,
    NotApplicable,
    Props,
    Resource,
    ResourceRule,
    Resources,
    StackRule,
    Undecided,
    UnknownValueError,
    unknown_checking_proxy,
)

Status = Literal["pass", "fail", "not_applicable", "unknown"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    messages: tuple[tuple[str, str], ...] = ()  # (urn, message)
    # A stack rule's resources whose verdict is unknown, while it judged the others.
    unknowns: tuple[tuple[str, str], ...] = ()


def run_resource_rule(
    rule: ResourceRule, props: Props, ctx: Ctx, *, proxied: bool = False
) -> Outcome:
    """One resource rule on one resource; `proxied` when the props are already wrapped."""
    if not rule.applies(ctx.type):
        return Outcome("not_applicable")
    try:
        messages = rule.evaluate(props if proxied else unknown_checking_proxy(dict(props)), ctx)
    except NotApplicable as reason:
        return Outcome("not_applicable", ((ctx.urn, str(reason)),))
    except UnknownValueError as unknown:
        return Outcome("unknown", ((ctx.urn, unknown.message),))
    if messages:
        return Outcome("fail", tuple((ctx.urn, m) for m in messages))
    return Outcome("pass")


def proxy(resources: Sequence[Resource]) -> Resources:
    """The resources with their props wrapped in the unknown-checking proxy, once."""
    return Resources(replace(r, props=unknown_checking_proxy(dict(r.props))) for r in resources)


def run_stack_rule(
    rule: StackRule,
    resources: Sequence[Resource],
    config: Mapping[str, Any],
    *,
    proxied: bool = False,
) -> Outcome:
    """One stack rule over every resource; `proxied` when `proxy` has been applied."""
    try:
        found = rule.evaluate(resources if proxied else proxy(resources), config)
    except NotApplicable as reason:
        return Outcome("not_applicable", (("", str(reason)),))
    except UnknownValueError as unknown:
        return Outcome("unknown", (("", unknown.message),))
    unknowns = tuple((urn, str(m)) for urn, m in found if isinstance(m, Undecided))
    failed = tuple((urn, m) for urn, m in found if not isinstance(m, Undecided))
    if failed:
        return Outcome("fail", failed, unknowns)
    return Outcome("unknown", unknowns) if unknowns else Outcome("pass")
