"""The offline checker: the pack's rules over a state file, at the environment's levels.

A state file is a synthesized `build/<env>/state.json` or a real `pulumi stack export`; both have
the same shape (DESIGN.md, the state contract). Rules see each resource's `inputs`, as CrossGuard
does, and the provider's inputs for default tags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from mlplat import state
from mlplat.state import Checkpoint
from policies.engine import Outcome, proxy, run_resource_rule, run_stack_rule
from policies.facts import boundary_urns
from policies.framework import Resource, ResourceRule, StackRule, context, upstream_waiver
from policies.rules import all_rules

Level = Literal["mandatory", "advisory", "unknown"]
LEVEL_ORDER: dict[str, int] = {"mandatory": 0, "unknown": 1, "advisory": 2}
OLD_COPY = "old copy awaiting deletion"
SECRET_UNKNOWN = "is an encrypted secret in the state (ciphertext); it can't be judged offline"
# Findings about the state itself rather than a rule: an update that did not finish.
STATE_POLICY, STATE_CONTROL = "pulumi-state-complete", "STATE"


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
    copy: str = ""  # "" for the live resource, OLD_COPY for a `delete: true` copy
    section: str = "resources"  # or "account-baseline"
    rule_level: str = "mandatory"  # the rule's level: an unknown of a mandatory rule blocks too


@dataclass(frozen=True)
class Report:
    environment: str
    resources: int
    findings: tuple[Finding, ...]
    evaluated: int  # rule evaluations that applied (pass, fail or unknown)
    passed: int
    linters: dict[str, int] | None = None  # checkov, parliament, kubernetes-validate counts
    notices: tuple[str, ...] = ()  # what the reader must know to trust the verdict
    errors: tuple[str, ...] = ()  # rules that raised: the verdict is incomplete (exit 2)
    rendered: int = 0  # of the resources: objects of kustomizations and charts
    judged_upstream: frozenset[str] = frozenset()  # the Directories and Charts those belong to

    @property
    def mandatory(self) -> int:
        return sum(f.level == "mandatory" for f in self.findings)

    @property
    def undecided(self) -> int:
        """Mandatory rules whose verdict on a resource is unknown: never a pass."""
        return sum(f.level == "unknown" and f.rule_level == "mandatory" for f in self.findings)

    @property
    def verdict(self) -> str:
        if self.mandatory:
            return "FAIL"
        return "UNDECIDED" if self.undecided else "PASS"

    def counts(self) -> dict[str, int]:
        by_level = Counter(f.level for f in self.findings)
        return {level: by_level.get(level, 0) for level in ("mandatory", "advisory", "unknown")}

    def to_json(self) -> dict[str, Any]:
        keys = ("policy", "control", "level", "urn", "type", "message")

        def shown(f: Finding) -> dict[str, Any]:
            row = {k: v for k, v in asdict(f).items() if k in keys}
            row.update(
                {k: v for k, v in (("waiver_reason", f.waiver_reason), ("copy", f.copy)) if v}
            )
            return row

        return {
            "environment": self.environment,
            "violations": [shown(f) for f in self.findings if f.section == "resources"],
            "account_baseline": [shown(f) for f in self.findings if f.section != "resources"],
            "notices": list(self.notices),
            "errors": list(self.errors),
            "summary": {
                "resources": self.resources,
                "rendered_objects": self.rendered,
                "rules": len(all_rules()),
                "evaluations": self.evaluated,
                "passed": self.passed,
                **self.counts(),
                **({"linters": self.linters} if self.linters is not None else {}),
            },
        }


def check_state(
    checkpoint: Checkpoint, environment: str | None, config: Mapping[str, Any]
) -> Report:
    """Every rule over a checkpoint. Without an environment (any team's stack), the rules that
    need an environment's facts are skipped and said so, and the account baseline is advisory."""
    resources = checkpoint.resources
    live = [r for r in resources if not r["delete"] and r["type"] != state.STACK_TYPE]
    old = [r for r in resources if r["delete"]]
    by_urn = {r["urn"]: r for r in reversed(resources) if not r["delete"]}
    stack_urn = next((r["urn"] for r in resources if r["type"] == state.STACK_TYPE), "")
    external = {r["urn"] for r in live if r["external"]}
    # (urn, is the old copy) -> the input paths holding ciphertext
    secrets = {
        (resources[i]["urn"], resources[i]["delete"]): paths
        for i, paths in checkpoint.secret_inputs.items()
    }
    # Props wrapped once in the unknown-checking proxy, for every rule. Stack rules see the live
    # copies; an old copy is judged by the resource rules on its own props.
    entries = proxy([_resource(r, by_urn) for r in live])
    judged = [e for e in entries if e.urn not in external]
    old_entries = list(proxy([_resource(r, by_urn) for r in old]))
    by_type: dict[tuple[str, str], list[Resource]] = {}
    for copy, group in (("", judged), (OLD_COPY, old_entries)):
        for entry in group:
            by_type.setdefault((copy, entry.type), []).append(entry)
    types = {entry_type for _, entry_type in by_type}
    boundaries = boundary_urns(entries)
    findings: list[Finding] = []
    errors: list[str] = []
    notices = _lifecycle_notices(checkpoint, old, external)
    evaluated = passed = 0

    for rule in all_rules():
        if environment is None and rule.needed_facts:
            notices.append(f"skipped {rule.name}: it needs the environment's {rule.needed_facts}")
            continue
        rule_config = config.get(rule.name) if isinstance(config.get(rule.name), dict) else {}
        level = _level(rule.name, config)
        if rule.account_baseline and environment is None:
            level = "advisory"  # a team's stack need not be its account's baseline
        settings = rule.configured(rule_config or {})
        reason = str((rule_config or {}).get("waiverReason") or "")
        runs: list[tuple[Outcome, str]] = []
        # A rule that raises on a malformed value is reported against that resource, and the
        # rule goes on with the others; the verdict is then incomplete (exit 2).
        if isinstance(rule, ResourceRule):
            applicable = {t for t in types if rule.applies(t)}
            for copy in ("", OLD_COPY):
                group = [e for t in sorted(applicable) for e in by_type.get((copy, t), ())]
                for entry in group:
                    try:
                        outcome = run_resource_rule(
                            rule, entry.props, context(entry, settings, boundaries), proxied=True
                        )
                    except Exception as error:
                        errors.append(_rule_error(rule.name, error, entry.urn))
                        continue
                    runs.append((outcome, copy))
        else:
            try:
                runs = [(run_stack_rule(rule, entries, settings, proxied=True), "")]
            except Exception as error:
                errors.append(_rule_error(rule.name, error, ""))
        for outcome, copy in runs:
            if outcome.status == "not_applicable":
                continue
            evaluated += 1
            passed += outcome.status == "pass"
            status_of = "unknown" if outcome.status == "unknown" else level
            pairs = [(urn, m, status_of) for urn, m in outcome.messages]
            pairs += [(urn, m, "unknown") for urn, m in outcome.unknowns]
            for urn, message, found_level in pairs:
                urn = urn or stack_urn
                if urn in external and not copy:
                    continue  # read, not owned: not this stack's to fix
                if found_level == "unknown":
                    message = _secret_reason(message, secrets.get((urn, bool(copy))))
                upstream = upstream_waiver(
                    settings, by_urn.get(urn, {}).get("parent"), urn.rsplit("::", 1)[-1]
                )
                if upstream and found_level == "mandatory":
                    found_level, waived = "advisory", upstream
                else:
                    waived = reason
                findings.append(
                    Finding(
                        policy=rule.name,
                        control=rule.control,
                        level=found_level,
                        urn=urn,
                        type=str(by_urn.get(urn, {}).get("type", state.STACK_TYPE)),
                        message=message,
                        severity=rule.severity,
                        remediation=rule.remediation,
                        waiver_reason=waived,
                        copy=copy,
                        section="account-baseline" if rule.account_baseline else "resources",
                        rule_level=level,
                    )
                )
    findings += _incomplete_update(checkpoint, stack_urn, by_urn)
    findings.sort(key=lambda f: (LEVEL_ORDER[f.level], f.policy, f.urn, f.copy, f.message))
    return Report(
        environment or checkpoint.stack or "(no stack)",
        len(resources),
        tuple(findings),
        evaluated,
        passed,
        notices=(*notices, *_unrendered(live)),
        errors=tuple(errors),
        rendered=sum(any(c in r["urn"] for c in RENDERED_CHILD) for r in live),
        judged_upstream=frozenset(
            str(r["parent"]).rsplit("::", 1)[-1]
            for r in live
            if r.get("parent") and any(c in r["urn"] for c in RENDERED_CHILD)
        ),
    )


def unused_upstream_waivers(
    report: Report, upstream: Mapping[tuple[str, str], str], *, checkov: bool
) -> Report:
    """The report with a notice for each upstream waiver no rendered object needed (judged only
    for what was rendered; checkov's only when checkov ran)."""
    if not report.rendered:
        return report
    used = set()
    for finding in report.findings:
        if finding.level == "advisory":
            name = finding.urn.rsplit("::", 1)[-1]
            used |= {(name.split(":", 1)[0], finding.policy), (name, finding.policy)}
    unused = [
        f"upstream waiver {policy} of {directory} matches nothing rendered: drop it"
        for directory, policy in sorted(upstream)
        if (directory, policy) not in used
        and (checkov or not policy.startswith("checkov-"))
        # A chart the cache holds only the values of renders nothing to match.
        and directory.split(":", 1)[0] in report.judged_upstream
    ]
    return replace(report, notices=(*report.notices, *unused)) if unused else report


# In a URN's type chain: an object a kustomize Directory or a Helm chart applies.
RENDERED_CHILD = ("$kubernetes:kustomize/v2:Directory$", "$kubernetes:helm.sh/v4:Chart$")


def _unrendered(live: Sequence[Mapping[str, Any]]) -> list[str]:
    """Directories and charts whose objects are not in the state (neither deployed nor
    rendered)."""
    parents = {r["parent"] for r in live}
    why = {
        "kubernetes:kustomize/v2:Directory": "run `mlplat render` first",
        "kubernetes:helm.sh/v4:Chart": "its templates are not in the upstream cache; "
        "`mlplat upstream fetch` fetches charts whole",
    }
    return [
        f"not judged: what {r['urn'].rsplit('::', 1)[-1]} applies ({why[r['type']]})"
        for r in live
        if r["type"] in why and r["urn"] not in parents
    ]


def _rule_error(rule: str, error: Exception, urn: str) -> str:
    where = f" on {urn}" if urn else ""
    return (
        f"rule {rule} could not judge{where}: {error.__class__.__name__}: {error} (a value of a "
        "shape the provider would not accept)"
    )


def _lifecycle_notices(
    checkpoint: Checkpoint, old: Sequence[Mapping[str, Any]], external: set[str]
) -> list[str]:
    notices = [f"{OLD_COPY}: {r['urn']}" for r in old]
    notices += [
        f"pending replacement: {r['urn']}" for r in checkpoint.resources if r["pendingReplacement"]
    ]
    if external:
        shown = ", ".join(sorted(external)[:5]) + (" …" if len(external) > 5 else "")
        notices.append(f"{len(external)} read resources (external) not judged as owned: {shown}")
    return notices


def _incomplete_update(
    checkpoint: Checkpoint, stack_urn: str, by_urn: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    """An interrupted update or a resource that failed to initialize: the state may not be what
    is deployed, so no verdict on it can be trusted (a mandatory finding, exit 1)."""
    found = [
        (stack_urn, f"interrupted update left a pending operation: {op}")
        for op in checkpoint.pending_operations
    ]
    found += [
        (urn, f"resource failed to initialize: {message}")
        for urn, message in checkpoint.init_errors
    ]
    return [
        Finding(
            policy=STATE_POLICY,
            control=STATE_CONTROL,
            level="mandatory",
            urn=urn,
            type=str(by_urn.get(urn, {}).get("type", state.STACK_TYPE)),
            message=message + " (run `pulumi refresh`, then check again)",
            severity="high",
            remediation="Finish or clear the update (`pulumi refresh`, `pulumi cancel`).",
        )
        for urn, message in found
    ]


def _secret_reason(message: str, secret_paths: Sequence[str] | None) -> str:
    """An unknown that is a ciphertext secret says so, not that preview cannot know it."""
    for path in secret_paths or ():
        if f"at .{path} " in message or f"at .{path}." in message:
            return f"value at .{path} {SECRET_UNKNOWN}"
    return message


def with_linters(
    report: Report,
    checkpoint: Checkpoint,
    k8s_dir: Path | None,
    waivers: Mapping[str, str],
    upstream: Mapping[tuple[str, str], str] | None = None,
) -> Report:
    """Adds the established linters' findings as violations: pinned checkov over the
    terraform_plan export, the program's Kubernetes objects and what its kustomizations render
    (under their CKV ids), parliament over every IAM document, and every Kubernetes object against
    its schema at the cluster's version or its CRD. `upstream`: (Directory, `checkov-<id>`) ->
    why upstream's objects it renders may fail that check.
    checkov findings the environment waives (`checkov-<id>`, with a reason) are advisory."""
    from mlplat import iam_lint, k8s_schema
    from mlplat.checkov_bridge import check_state as run_checkov
    from mlplat.checkov_bridge import rendered_dir

    resources = [r for r in checkpoint.resources if not r["delete"] and not r["external"]]
    result, plan = run_checkov(resources, k8s_dir)
    by_urn = {r["urn"]: r for r in resources}
    extra = []
    for failure in result.failed:
        urn = plan.addresses.get(str(failure["resource"]), str(failure["resource"]))
        policy = f"checkov-{failure['check_id']}"
        reason = waivers.get(policy, "")
        if k8s_dir is not None and failure.get("target") == str(rendered_dir(k8s_dir)):
            # an object a kustomization renders: `<Directory>:<Kind>.<namespace>.<name>`
            directory = Path(str(failure.get("file") or "")).stem
            urn = f"{directory}:{urn}"
            reason = reason or (upstream or {}).get((directory, policy), "")
        extra.append(
            Finding(
                policy=policy,
                control=str(failure["check_id"]),
                level="advisory" if reason else "mandatory",
                waiver_reason=reason,
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
    validation = k8s_schema.validate(*_cluster_objects(resources))
    for problem in validation.findings:
        extra.append(
            Finding(
                policy="kubernetes-schema",
                control="K8S",
                level="mandatory",
                urn=problem.source,
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
        "k8s_objects": validation.objects,
        "k8s_schema_errors": len(validation.findings),
        "k8s_not_validated": len(validation.not_validated),
    }
    return Report(
        report.environment,
        report.resources,
        tuple(findings),
        report.evaluated,
        report.passed,
        linters,
        (*report.notices, *(f"not validated: {why}" for why in validation.not_validated)),
        report.errors,
        report.rendered,
        report.judged_upstream,
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


def rules_by_name() -> dict[str, ResourceRule | StackRule]:
    return {rule.name: rule for rule in all_rules()}


def _cluster_objects(
    resources: Sequence[Mapping[str, Any]],
) -> tuple[list[tuple[str, Mapping[str, Any]]], list[Mapping[str, Any]]]:
    """(source, object) for every Kubernetes object of the state (the program's own, and the
    children of its Directories and Charts, rendered or deployed), and every CRD at hand: those
    among them and the charts' from the upstream cache."""
    from mlplat.apply_order import applied_objects
    from mlplat.chart_values import upstream_cache
    from mlplat.render import chart_crds

    parents = {str(r["urn"]): str(r.get("parent") or "") for r in resources}

    def source(urn: str) -> str:
        rendered = any(c in urn for c in RENDERED_CHILD)  # named by its Directory or Chart
        return (parents[urn] if rendered else urn).rsplit("::", 1)[-1]

    objects = [(source(a.applier), a.obj) for a in applied_objects(resources, {})]
    crds = [o for _, o in objects if o.get("kind") == "CustomResourceDefinition"]
    crds += [c for cs in chart_crds(resources, upstream_cache()).values() for c in cs]
    return objects, crds
