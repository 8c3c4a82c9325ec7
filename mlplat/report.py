"""Check reports as text (one screen per environment), JSON, SARIF 2.1.0 and Markdown."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mlplat.check import LEVEL_ORDER, Finding, Report, rules_by_name

VERSION = "0.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"mandatory": "error", "unknown": "warning", "advisory": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def short(urn: str) -> str:
    """`type::name` of a URN: enough to find it, short enough to read."""
    parts = urn.split("::")
    return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}" if len(parts) >= 4 else urn


def named(urn: str) -> str:
    """`Key/dev-cluster`: the kind and the name, enough to tell a key from a cluster."""
    kind, _, name = short(urn).rpartition("::")
    return f"{kind.rsplit(':', 1)[-1]}/{name}" if kind else name


def grouped(findings: Sequence[Finding]) -> list[tuple[tuple[str, str, str, str, str], list[str]]]:
    """Findings that differ only in their resource, together: one row per rule and message."""
    groups: dict[tuple[str, str, str, str, str], list[str]] = {}
    for f in findings:
        where = named(f.urn) + (f" ({f.copy})" if f.copy else "")
        groups.setdefault((f.level, f.control, f.policy, f.message, f.waiver_reason), []).append(
            where
        )
    return list(groups.items())


def text(reports: Sequence[Report], *, limit: int = 15) -> Group:
    blocks: list[Any] = []
    for report in reports:
        counts = report.counts()
        verdict = report.verdict
        style = "bold green" if verdict == "PASS" else "bold red"
        linted = report.linters
        blocks.append(
            Text.assemble(
                (f"{report.environment}: {verdict}", style),
                f"  {report.resources} resources ({report.rendered} of them objects rendered from "
                f"kustomizations and charts), {report.evaluated} rule evaluations, "
                f"{report.passed} passed; mandatory {counts['mandatory']}, "
                f"unknown {counts['unknown']}, advisory {counts['advisory']}",
                (
                    f"\n  checkov {linted['checkov_passed']} passed / {linted['checkov_failed']} "
                    f"failed / {linted['checkov_skipped']} skipped; parliament "
                    f"{linted['iam_documents']} IAM documents, {linted['iam_findings']} findings; "
                    f"schemas (Kubernetes and CRDs) {linted['k8s_objects']} objects, "
                    f"{linted['k8s_schema_errors']} errors, "
                    f"{linted.get('k8s_not_validated', 0)} not validated"
                )
                if linted
                else "",
            )
        )
        sections = (
            ("", [f for f in report.findings if f.section == "resources"]),
            ("account baseline", [f for f in report.findings if f.section != "resources"]),
        )
        for title, findings in sections:
            if findings:
                if title:
                    blocks.append(Text(f"  {title}:", style="bold"))
                blocks.append(findings_table(findings, limit))
        for line in [*report.notices, *(f"error: {e}" for e in report.errors)]:
            blocks.append(Text(f"  {line}"))
    return Group(*blocks)


def findings_table(findings: Sequence[Finding], limit: int) -> Table:
    """Every cell is Text: user text (a waiver reason, a resource name) is never rich markup."""
    table = Table(show_edge=False, pad_edge=False)
    for column in ("level", "control", "policy", "resources", "message"):
        table.add_column(column, overflow="fold")
    groups = grouped(findings)
    for (level, control, policy, message, reason), urns in groups[:limit]:
        shown = ", ".join(urns[:2])
        more = f" +{len(urns) - 2}" if len(urns) > 2 else ""
        cells = (
            level,
            control,
            policy,
            shown + more,
            message + (f" (waived: {reason})" if reason else ""),
        )
        table.add_row(*(Text(cell) for cell in cells))
    if len(groups) > limit:
        table.add_row(
            *(Text(c) for c in ("…", "", "", "", f"{len(groups) - limit} more (--format json)"))
        )
    return table


def as_json(reports: Sequence[Report]) -> str:
    if len(reports) == 1:
        return json.dumps(reports[0].to_json(), indent=2)
    return json.dumps({"environments": [r.to_json() for r in reports]}, indent=2)


def escaped(text: str) -> str:
    """User text as literal Markdown in a table cell: no HTML, no line breaks, no markup."""
    text = " ".join(text.split())
    for char in "\\`*_[]<>|!#":
        text = text.replace(char, "\\" + char)
    return text


def code(text: str) -> str:
    """User text as one inline code span, safe in a table cell: its own backticks fenced by a
    longer run, pipes escaped (GitHub splits cells on them even inside code), one line."""
    text = " ".join(text.split()).replace("|", "\\|")
    fence = "`" * (_longest_run(text, "`") + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _longest_run(text: str, char: str) -> int:
    longest = current = 0
    for c in text:
        current = current + 1 if c == char else 0
        longest = max(longest, current)
    return longest


def markdown_rows(findings: Sequence[Finding]) -> list[str]:
    """The findings as a Markdown table, most severe first, every user text escaped."""
    rows = ["| level | control | policy | resource | message |", "|---|---|---|---|---|"]
    for f in sorted(findings, key=lambda f: (LEVEL_ORDER[f.level], f.control, f.policy)):
        message = escaped(f.message)
        if f.waiver_reason:
            message += f" _(waived: {escaped(f.waiver_reason)})_"
        where = escaped(short(f.urn) + (f" ({f.copy})" if f.copy else ""))
        rows.append(f"| {f.level} | {f.control} | `{f.policy}` | {where} | {message} |")
    return rows


def markdown(reports: Sequence[Report]) -> str:
    lines = []
    for report in reports:
        counts = report.counts()
        verdict = {"FAIL": "❌ fails", "UNDECIDED": "⚠️ undecided", "PASS": "✅ passes"}[
            report.verdict
        ]
        lines += [
            f"### `{report.environment}` {verdict}",
            "",
            f"{report.resources} resources · {report.evaluated} evaluations · {report.passed} "
            f"passed · **{counts['mandatory']} mandatory** · {counts['unknown']} unknown · "
            f"{counts['advisory']} advisory",
            "",
        ]
        if report.findings:
            lines += [*markdown_rows(report.findings), ""]
    return "\n".join(lines)


def sarif(reports: Sequence[Report]) -> str:
    """SARIF 2.1.0, one run, as GitHub code scanning takes it: each result located at the
    environment file that produced the stack, with the resource as a logical location."""
    rules = rules_by_name()
    used = sorted({f.policy for r in reports for f in r.findings})
    index = {name: i for i, name in enumerate(used)}
    descriptors = []
    for name in used:
        if name not in rules:  # a checkov finding: described by its own check
            first = next(f for r in reports for f in r.findings if f.policy == name)
            descriptors.append(
                {
                    "id": name,
                    "name": name,
                    "shortDescription": {"text": first.message},
                    "help": {"text": first.remediation or first.message},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["security", "checkov", first.control]},
                }
            )
            continue
        rule = rules[name]
        descriptors.append(
            {
                "id": name,
                "name": name,
                "shortDescription": {"text": rule.description},
                "fullDescription": {"text": f"[{rule.control}] {rule.description}"},
                "help": {"text": rule.remediation, "markdown": rule.remediation},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["security", rule.control],
                    "security-severity": SECURITY_SEVERITY[rule.severity],
                    "precision": "high",
                },
            }
        )
    results = []
    for report in reports:
        for f in report.findings:
            fingerprint = hashlib.sha256(f"{f.policy}|{f.urn}|{f.message}".encode()).hexdigest()
            results.append(
                {
                    "ruleId": f.policy,
                    "ruleIndex": index[f.policy],
                    "level": SARIF_LEVEL[f.level],
                    "message": {"text": f"[{f.control}] {short(f.urn)}: {f.message}"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {
                                    "uri": f"environments/Pulumi.{report.environment}.yaml"
                                },
                                "region": {"startLine": 1},
                            },
                            "logicalLocations": [{"fullyQualifiedName": f.urn, "kind": "resource"}],
                        }
                    ],
                    "partialFingerprints": {"mlplatFinding/v1": fingerprint},
                    "properties": {"environment": report.environment, "level": f.level},
                }
            )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlplat",
                        "version": VERSION,
                        "rules": descriptors,
                    }
                },
                "automationDetails": {"id": "mlplat-check/"},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)
