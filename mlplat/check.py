"""The offline checker: the pack's rules over a state file, at the environment's levels.

A state file is a synthesized `build/<env>/state.json` or a real `pulumi stack export`; both have
the same shape (DESIGN.md, the state contract). Rules see each resource's `inputs`, as CrossGuard
does, and the provider's inputs for default tags.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from policies.engine import proxy, run_resource_rule, run_stack_rule
from policies.framework import Ctx, Resource, ResourceRule, StackRule
from policies.rules import all_rules

Level = Literal["mandatory", "advisory", "unknown"]
LEVEL_ORDER: dict[str, int] = {"mandatory": 0, "unknown": 1, "advisory": 2}


class StateError(Exception):
    """A state file that cannot be checked: unreadable, not JSON, or not a Pulumi checkpoint."""


@dataclass(frozen=True, order=True)
class Finding:
    policy: str
    control: str
    level: Level
    urn: str
    type: str
    message: str
    severity: str = ""
    remediation: str = ""
    waiver_reason: str = ""


@dataclass(frozen=True)
class Report:
    environment: str
    resources: int
    findings: tuple[Finding, ...]
    evaluated: int  # rule evaluations that applied (pass, fail or unknown)
    passed: int
    linters: dict[str, int] | None = None  # checkov, parliament, kubernetes-validate counts

    @property
    def mandatory(self) -> int:
        return sum(f.level == "mandatory" for f in self.findings)

    def counts(self) -> dict[str, int]:
        by_level = Counter(f.level for f in self.findings)
        return {level: by_level.get(level, 0) for level in ("mandatory", "advisory", "unknown")}

    def to_json(self) -> dict[str, Any]:
        keys = ("policy", "control", "level", "urn", "type", "message")
        return {
            "environment": self.environment,
            "violations": [
                {k: v for k, v in asdict(f).items() if k in keys or (k == "waiver_reason" and v)}
                for f in self.findings
            ],
            "summary": {
                "resources": self.resources,
                "rules": len(all_rules()),
                "evaluations": self.evaluated,
                "passed": self.passed,
                **self.counts(),
                **({"linters": self.linters} if self.linters is not None else {}),
            },
        }


def parse_state(text: str, source: str) -> list[Mapping[str, Any]]:
    """The resources of a checkpoint (`{"version": 3, "deployment": {"resources": [...]}}`)."""
    try:
        state = json.loads(text)
    except ValueError as err:
        raise StateError(f"{source}: not JSON ({err})") from None
    deployment = state.get("deployment") if isinstance(state, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if not isinstance(resources, list):
        raise StateError(
            f"{source}: deployment.resources: got {type(resources).__name__}; expected the list "
            "of a `pulumi stack export` (checkpoint version 3)"
        )
    for index, resource in enumerate(resources):
        if not (isinstance(resource, dict) and isinstance(resource.get("urn"), str)):
            raise StateError(
                f"{source}: deployment.resources[{index}]: expected a resource with a urn"
            )
        if not isinstance(resource.get("type"), str):
            raise StateError(f"{source}: deployment.resources[{index}].type: expected a type token")
    return resources


def check_state(
    resources: Sequence[Mapping[str, Any]], environment: str, config: Mapping[str, Any]
) -> Report:
    by_urn = {r["urn"]: r for r in resources}
    stack_urn = next((r["urn"] for r in resources if r["type"] == "pulumi:pulumi:Stack"), "")
    # Props wrapped once in the unknown-checking proxy, for every rule.
    entries = proxy([_resource(r, by_urn) for r in resources if r["type"] != "pulumi:pulumi:Stack"])
    types = {entry.type for entry in entries}
    findings: list[Finding] = []
    evaluated = passed = 0

    for rule in all_rules():
        rule_config = config.get(rule.name) if isinstance(config.get(rule.name), dict) else {}
        level = _level(rule.name, config)
        settings = rule.configured(rule_config or {})
        reason = str((rule_config or {}).get("waiverReason") or "")
        if isinstance(rule, ResourceRule):
            applicable = {t for t in types if rule.applies(t)}
            outcomes = [
                run_resource_rule(rule, entry.props, _ctx(entry, settings), proxied=True)
                for entry in entries
                if entry.type in applicable
            ]
        else:
            outcomes = [run_stack_rule(rule, entries, settings, proxied=True)]
        for outcome in outcomes:
            if outcome.status == "not_applicable":
                continue
            evaluated += 1
            passed += outcome.status == "pass"
            for urn, message in outcome.messages:
                urn = urn or stack_urn
                findings.append(
                    Finding(
                        policy=rule.name,
                        control=rule.control,
                        level="unknown" if outcome.status == "unknown" else level,
                        urn=urn,
                        type=str(by_urn.get(urn, {}).get("type", "pulumi:pulumi:Stack")),
                        message=message,
                        severity=rule.severity,
                        remediation=rule.remediation,
                        waiver_reason=reason,
                    )
                )
    findings.sort(key=lambda f: (LEVEL_ORDER[f.level], f.policy, f.urn, f.message))
    return Report(environment, len(resources), tuple(findings), evaluated, passed)


def with_linters(
    report: Report,
    resources: Sequence[Mapping[str, Any]],
    k8s_dir: Path | None,
    waivers: Mapping[str, str],
) -> Report:
    """Adds the established linters' findings as violations: pinned checkov over the
    terraform_plan export and the rendered Kubernetes objects (under their CKV ids), parliament
    over every IAM document, and kubernetes-validate over the objects at the cluster's version.
    checkov findings the environment waives (`checkov-<id>`, with a reason) are advisory."""
    from mlplat import iam_lint, k8s_schema
    from mlplat.checkov_bridge import check_state as run_checkov

    result, plan = run_checkov(resources, k8s_dir)
    by_urn = {r["urn"]: r for r in resources}
    extra = []
    for failure in result.failed:
        urn = plan.addresses.get(str(failure["resource"]), str(failure["resource"]))
        policy = f"checkov-{failure['check_id']}"
        extra.append(
            Finding(
                policy=policy,
                control=str(failure["check_id"]),
                level="advisory" if policy in waivers else "mandatory",
                waiver_reason=waivers.get(policy, ""),
                urn=urn,
                type=str(by_urn.get(urn, {}).get("type", "kubernetes")),
                message=str(failure["check_name"]),
                severity="high",
                remediation=str(failure.get("guideline") or ""),
            )
        )
    documents, iam_findings = iam_lint.lint(resources)
    for iam in iam_findings:
        extra.append(
            Finding(
                policy=f"parliament-{iam.issue}",
                control="IAM",
                level="mandatory",
                urn=iam.urn,
                type=str(by_urn.get(iam.urn, {}).get("type", "")),
                message=f"{iam.prop}: {iam.issue} ({iam.severity}): {iam.detail}",
                severity=iam.severity.lower(),
            )
        )
    objects, schema_findings = k8s_schema.validate_directory(k8s_dir) if k8s_dir else (0, [])
    for problem in schema_findings:
        extra.append(
            Finding(
                policy="kubernetes-schema",
                control="K8S",
                level="mandatory",
                urn=problem.file,
                type="kubernetes",
                message=problem.message,
                severity="high",
            )
        )
    findings = sorted(
        [*report.findings, *extra], key=lambda f: (LEVEL_ORDER[f.level], f.policy, f.urn, f.message)
    )
    linters = {
        "checkov_passed": result.passed,
        "checkov_failed": len(result.failed),
        "checkov_skipped": result.skipped,
        "iam_documents": documents,
        "iam_findings": len(iam_findings),
        "k8s_objects": objects,
        "k8s_schema_errors": len(schema_findings),
    }
    return Report(
        report.environment,
        report.resources,
        tuple(findings),
        report.evaluated,
        report.passed,
        linters,
    )


def _level(rule: str, config: Mapping[str, Any]) -> Level:
    entry = config.get(rule)
    level = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
    level = level or config.get("all") or "mandatory"
    return "advisory" if level == "advisory" else "mandatory"


def _resource(raw: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> Resource:
    provider_urn = str(raw.get("provider") or "").rsplit("::", 1)[0]
    provider = by_urn.get(provider_urn, {})
    return Resource(
        urn=raw["urn"],
        type=raw["type"],
        name=raw["urn"].rsplit("::", 1)[-1],
        props=raw.get("inputs") or {},
        protect=bool(raw.get("protect")),
        retain_on_delete=bool(raw.get("retainOnDelete")),
        parent=str(raw.get("parent") or ""),
        dependencies=tuple(raw.get("dependencies") or ()),
        property_dependencies=dict(raw.get("propertyDependencies") or {}),
        provider_props=provider.get("inputs") or {},
    )


def _ctx(resource: Resource, config: Mapping[str, Any]) -> Ctx:
    return Ctx(
        config=config,
        urn=resource.urn,
        name=resource.name,
        type=resource.type,
        protect=resource.protect,
        retain_on_delete=resource.retain_on_delete,
        provider_props=resource.provider_props,
    )


def rules_by_name() -> dict[str, ResourceRule | StackRule]:
    return {rule.name: rule for rule in all_rules()}
