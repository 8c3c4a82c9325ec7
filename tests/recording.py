"""The recording harness: runs a component (or the whole program) under the SDK's mock monitor
and returns what it registered, as the state file would hold it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlplat.mock_cloud import MockCloud
from mlplat.synth import Record, run_program

ACCOUNT = "111122223333"
REGION = "eu-west-1"
AZS = ("eu-west-1a", "eu-west-1b", "eu-west-1c")


@dataclass
class Recording:
    """What a program registered, as the state file will hold it."""

    records: list[Record]

    def of_type(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.type == type_]

    def one(self, type_: str, name_suffix: str = "") -> Record:
        found = [r for r in self.of_type(type_) if r.urn.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {type_} ending {name_suffix!r}, got {len(found)}"
        return found[0]

    def named(self, name: str) -> list[Record]:
        return [r for r in self.records if r.urn.rsplit("::", 1)[1] == name]

    def child_types(self, parent_urn: str) -> Counter[str]:
        return Counter(r.type for r in self.records if r.parent == parent_urn)


def policy(record: Record, key: str) -> dict[str, Any]:
    """A JSON policy document input, parsed."""
    return json.loads(record.inputs[key])


def record(build: Callable[[], None], *, stack: str = "test") -> Recording:
    cloud = MockCloud(account_id=ACCOUNT, region=REGION, availability_zones=AZS)
    monitor = run_program(build, project="mlplat", stack=stack, config={}, cloud=cloud)
    return Recording([r for r in monitor.records.values() if r.type != "pulumi:pulumi:Stack"])
