"""Runs rules and classifies every evaluation: pass, fail, not applicable or unknown.

Used by the offline checker and the tests; the CrossGuard adapter in __main__.py relies on the
SDK for the same classification (it catches the same two exceptions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from policies.framework import (
    Ctx,
    NotApplicable,
    Props,
    Resource,
    ResourceRule,
    StackRule,
    UnknownValueError,
    unknown_checking_proxy,
)

Status = Literal["pass", "fail", "not_applicable", "unknown"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    messages: tuple[tuple[str, str], ...] = ()  # (urn, message)


def run_resource_rule(rule: ResourceRule, props: Props, ctx: Ctx) -> Outcome:
    if not rule.applies(ctx.type):
        return Outcome("not_applicable")
    try:
        messages = rule.evaluate(unknown_checking_proxy(dict(props)), ctx)
    except NotApplicable as reason:
        return Outcome("not_applicable", ((ctx.urn, str(reason)),))
    except UnknownValueError as unknown:
        return Outcome("unknown", ((ctx.urn, unknown.message),))
    if messages:
        return Outcome("fail", tuple((ctx.urn, m) for m in messages))
    return Outcome("pass")


def run_stack_rule(
    rule: StackRule, resources: Sequence[Resource], config: Mapping[str, Any]
) -> Outcome:
    proxied = [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=unknown_checking_proxy(dict(r.props)),
            protect=r.protect,
            retain_on_delete=r.retain_on_delete,
            parent=r.parent,
            dependencies=r.dependencies,
            property_dependencies=r.property_dependencies,
            provider_props=r.provider_props,
        )
        for r in resources
    ]
    try:
        found = rule.evaluate(proxied, config)
    except NotApplicable as reason:
        return Outcome("not_applicable", (("", str(reason)),))
    except UnknownValueError as unknown:
        return Outcome("unknown", (("", unknown.message),))
    return Outcome("fail", tuple(found)) if found else Outcome("pass")
