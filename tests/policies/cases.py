"""Fixture model for policy rules: every rule has a passing case, failing cases with their exact
messages, a not-applicable case and an unknown-at-preview case."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.framework import Resource

UNKNOWN_BOOL = UNKNOWN_BOOLEAN_VALUE
UNKNOWN_NUMBER = UNKNOWN_NUMBER_VALUE
UNKNOWN_STRING = UNKNOWN_STRING_VALUE

ACCOUNT = "444455556666"  # staging, the environment the fixtures pretend to be
DEV_ACCOUNT = "111122223333"
PROD_ACCOUNT = "777788889999"
ENV_FACTS = {
    "environment": "staging",
    "accountId": ACCOUNT,
    "vpcCidr": "10.20.0.0/16",
    "otherEnvironments": {
        "dev": {"accountId": DEV_ACCOUNT, "vpcCidr": "10.10.0.0/16"},
        "prod": {"accountId": PROD_ACCOUNT, "vpcCidr": "10.30.0.0/16"},
    },
}


def changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with top-level props replaced (None removes one)."""
    result = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def policy(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class Case:
    """Fixtures of one resource rule."""

    rule: str
    type: str
    # None for rules that forbid a resource type outright: their passing state is its absence.
    passing: dict[str, Any] | None
    # (label, props, exact messages), optionally with a 4th element: another of the rule's types.
    failing: list[tuple[Any, ...]]
    not_applicable: tuple[str, dict[str, Any]]  # (type, props) the rule must not judge
    unknown: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    provider_props: dict[str, Any] = field(default_factory=dict)
    # Failing cases that differ in resource options rather than props: (label, protect, messages).
    failing_options: list[tuple[str, bool, list[str]]] = field(default_factory=list)
    # A rule that judges a resource's existence, not its values, still fails on unknown values.
    unknown_status: str = "unknown"


def resource(
    type_: str,
    name: str,
    props: Mapping[str, Any],
    *,
    deps: Mapping[str, Sequence[str]] | None = None,
    protect: bool = False,
) -> Resource:
    return Resource(
        urn=f"urn:pulumi:staging::mlplat::{type_}::{name}",
        type=type_,
        name=name,
        props=dict(props),
        protect=protect,
        property_dependencies=dict(deps or {}),
    )


@dataclass
class StackCase:
    """Fixtures of one stack rule: (urn suffix, message) pairs asserted exactly."""

    rule: str
    passing: list[Resource]
    failing: list[tuple[str, list[Resource], list[tuple[str, str]]]]
    not_applicable: list[Resource]  # none of the rule's resources: passes vacuously or N/A
    unknown: list[Resource]
    config: dict[str, Any] = field(default_factory=dict)
