"""`mlplat pr-comment`: what a change does to each environment, for one pull-request comment.

Per environment, from the synthesized states of the base and the head (and `pulumi preview
--json` where CI had credentials): create / update / delete / replace counts, the dangerous
steps (deletes and replacements, stateful and protected resources flagged), the policy results
of the head grouped by level with their controls, and the cost delta, idle and at the ceiling.

The comment carries a hidden marker so CI updates one comment in place, and never exceeds
GitHub's 65,536 characters: the middle (detail tables) is trimmed, never the summary.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlplat.check import Report
from mlplat.cost import Estimate
from mlplat.report import code, escaped, markdown_rows, short

MARKER = "<!-- mlplat-pr-comment -->"
GITHUB_LIMIT = 65536
# What losing data looks like: a delete or replace of one of these is called out first.
STATEFUL = frozenset(
    {
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:rds/instance:Instance",
        "aws:cloudtrail/trail:Trail",
        "aws:eks/cluster:Cluster",
    }
)
# Inputs whose change the provider can only apply by replacing the resource (pulumi-aws and
# pulumi-kubernetes mark them ForceNew); an offline diff names these steps `replace`.
REPLACE_ON_CHANGE: Mapping[str, frozenset[str]] = {
    "aws:s3/bucket:Bucket": frozenset({"bucket", "objectLockEnabled"}),
    "aws:kms/key:Key": frozenset({"customerMasterKeySpec", "keyUsage", "multiRegion"}),
    "aws:rds/instance:Instance": frozenset(
        {"identifier", "engine", "storageEncrypted", "kmsKeyId", "dbSubnetGroupName"}
    ),
    "aws:eks/cluster:Cluster": frozenset({"name", "encryptionConfig"}),
    "aws:iam/role:Role": frozenset({"name"}),
    "aws:ec2/vpc:Vpc": frozenset({"cidrBlock"}),
    "aws:ec2/subnet:Subnet": frozenset({"cidrBlock", "availabilityZone", "vpcId"}),
    "aws:cloudtrail/trail:Trail": frozenset({"name"}),
    "kubernetes:core/v1:Namespace": frozenset({"metadata.name"}),
}
# `pulumi preview --json` step ops, counted as ours.
PREVIEW_OPS = {
    "create": "create",
    "update": "update",
    "delete": "delete",
    "replace": "replace",
    "create-replacement": "replace",
}


@dataclass(frozen=True)
class Step:
    op: str  # create, update, delete, replace
    urn: str
    type: str
    stateful: bool
    protected: bool


@dataclass
class EnvironmentChange:
    environment: str
    steps: list[Step] = field(default_factory=list)
    source: str = "offline diff of the synthesized states"
    report: Report | None = None
    base_cost: Estimate | None = None
    head_cost: Estimate | None = None

    def counts(self) -> dict[str, int]:
        counted = Counter(step.op for step in self.steps)
        return {op: counted.get(op, 0) for op in ("create", "update", "delete", "replace")}

    @property
    def dangerous(self) -> list[Step]:
        return [step for step in self.steps if step.op in ("delete", "replace")]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): value}


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    old, new = _flatten(before), _flatten(after)
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _forces_replacement(type_: str, changed: set[str]) -> bool:
    keys = REPLACE_ON_CHANGE.get(type_, frozenset())
    return any(c == k or c.startswith(f"{k}.") for c in changed for k in keys)


def diff_states(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]]) -> list[Step]:
    """The steps from base to head, by URN, in head's order then deletions."""
    before = {r["urn"]: r for r in base if r.get("custom")}
    after = {r["urn"]: r for r in head if r.get("custom")}
    steps = []

    def step(op: str, resource: Mapping[str, Any]) -> Step:
        type_ = str(resource["type"])
        return Step(
            op, str(resource["urn"]), type_, type_ in STATEFUL, bool(resource.get("protect"))
        )

    for urn, resource in after.items():
        if urn not in before:
            steps.append(step("create", resource))
            continue
        changed = _changed_keys(before[urn].get("inputs") or {}, resource.get("inputs") or {})
        if changed:
            op = "replace" if _forces_replacement(str(resource["type"]), changed) else "update"
            steps.append(step(op, resource))
    steps += [step("delete", resource) for urn, resource in before.items() if urn not in after]
    return steps


def preview_steps(preview: Any, source: str = "preview") -> dict[str, list[Step]]:
    """Steps of a `pulumi preview --json` document, by the stack named in their URNs. A document
    of another shape is a ValueError naming the field, the value and what was expected."""
    if not isinstance(preview, Mapping):
        raise ValueError(
            f"{source}: got {type(preview).__name__}; expected the object of a preview"
        )
    steps = preview.get("steps") or []
    if not isinstance(steps, list):
        raise ValueError(f"{source}: steps: got {type(steps).__name__}; expected a list of steps")
    by_stack: dict[str, list[Step]] = {}
    for index, raw in enumerate(steps):
        if not isinstance(raw, Mapping):
            raise ValueError(f"{source}: steps[{index}]: got {raw!r:.60}; expected a step object")
        op = PREVIEW_OPS.get(str(raw.get("op")))
        urn = str(raw.get("urn") or "")
        if op is None or not urn.startswith("urn:pulumi:"):
            continue
        parts = urn.split("::")
        if len(parts) < 4:
            raise ValueError(
                f"{source}: steps[{index}].urn: got {urn!r:.80}; expected "
                "urn:pulumi:<stack>::<project>::<type>::<name>"
            )
        stack = parts[0].removeprefix("urn:pulumi:")
        new, old = raw.get("newState"), raw.get("oldState")
        state = new if isinstance(new, Mapping) else old if isinstance(old, Mapping) else {}
        type_ = str(state.get("type") or parts[2].rsplit("$", 1)[-1])
        protected = isinstance(old, Mapping) and bool(old.get("protect"))
        by_stack.setdefault(stack, []).append(Step(op, urn, type_, type_ in STATEFUL, protected))
    return by_stack


def load_previews(paths: Sequence[Path]) -> dict[str, list[Step]]:
    merged: dict[str, list[Step]] = {}
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a `pulumi preview --json` document ({error})") from None
        for stack, steps in preview_steps(document, str(path)).items():
            merged.setdefault(stack, []).extend(steps)
    return merged


# --- rendering -----------------------------------------------------------------------------------


def _usd_delta(before: float, after: float) -> str:
    delta = after - before
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    return f"${after:,.0f} ({sign}${abs(delta):,.0f})"


def summary_table(changes: Sequence[EnvironmentChange]) -> list[str]:
    lines = [
        "| env | create | update | delete | replace | mandatory | advisory | unknown "
        "| idle / month | ceiling / month |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for change in changes:
        counts = change.counts()
        levels = change.report.counts() if change.report else {}
        idle = ceiling = "n/a"
        if change.head_cost:
            base_idle = change.base_cost.idle if change.base_cost else 0.0
            base_ceiling = change.base_cost.ceiling if change.base_cost else 0.0
            idle = _usd_delta(base_idle, change.head_cost.idle)
            ceiling = _usd_delta(base_ceiling, change.head_cost.ceiling)
        verdict = {"FAIL": "❌", "UNDECIDED": "⚠️", "PASS": "✅"}[
            change.report.verdict if change.report else "PASS"
        ]
        lines.append(
            f"| {verdict} `{change.environment}` | {counts['create']} | {counts['update']} | "
            f"{counts['delete']} | {counts['replace']} | {levels.get('mandatory', 0)} | "
            f"{levels.get('advisory', 0)} | {levels.get('unknown', 0)} | {idle} | {ceiling} |"
        )
    return lines


def details(change: EnvironmentChange) -> list[str]:
    lines = [f"### `{change.environment}`", "", f"Steps from the {change.source}.", ""]
    if change.dangerous:
        lines += [
            "**Deletes and replacements**",
            "",
            "| step | resource | flags |",
            "|---|---|---|",
        ]
        for step in change.dangerous:
            flags = ", ".join(
                flag
                for flag, on in (("⚠️ stateful", step.stateful), ("🔒 protected", step.protected))
                if on
            )
            lines.append(f"| {escaped(step.op)} | {code(short(step.urn))} | {flags} |")
        lines.append("")
    if change.report and change.report.findings:
        lines += ["**Policy results (head)**", "", *markdown_rows(change.report.findings), ""]
    return lines


def render(changes: Sequence[EnvironmentChange], *, limit: int = GITHUB_LIMIT) -> str:
    """The whole comment: marker, summary, then per-environment details trimmed to fit."""
    head = [
        MARKER,
        "## mlplat: what this change does",
        "",
        *summary_table(changes),
        "",
    ]
    dangerous = [s for c in changes for s in c.dangerous if s.stateful or s.protected]
    if dangerous:
        head += [
            f"> ⚠️ **{len(dangerous)} stateful or protected resource(s) deleted or replaced:** "
            + ", ".join(code(short(s.urn)) for s in dangerous[:10])
            + (" …" if len(dangerous) > 10 else ""),
            "",
        ]
    tail = [
        "",
        "<sub>Counts and policy results come from offline synthesis (`mlplat synth`) unless a "
        "`pulumi preview` was folded in; costs from `mlplat cost` (dated price table).</sub>",
    ]
    summary = "\n".join(head)
    footer = "\n".join(tail)
    body = "\n".join(line for change in changes for line in details(change))
    room = limit - len(summary) - len(footer) - 2
    if len(body) > room:
        note = "\n\n… details trimmed to fit GitHub's comment limit; see the CI artifacts …\n\n"
        keep = max(room - len(note), 0)
        body = body[: keep // 2] + note + body[len(body) - (keep - keep // 2) :]
    return f"{summary}\n{body}\n{footer}"
