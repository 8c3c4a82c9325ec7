from collections.abc import Mapping, Sequence
from typing import Any

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

# What Kueue leaves open in a team namespace, closed by the API server (components/kueue.py).
REQUIRED = {  # policy -> (what it keeps, the resources it must see created and updated)
    "mlplat-serving-priority-on-inference-pools": (
        "the serving priority stays with serving",
        ("pods", "jobs", "jobsets", "trainjobs"),
    ),
    "mlplat-kueue-children-from-their-controllers": (
        "no pod is written under an admitted job",
        ("pods", "jobs", "jobsets"),
    ),
}
POLICIES = [
    f"kubernetes:admissionregistration.k8s.io/{v}:ValidatingAdmissionPolicy"
    for v in ("v1", "v1beta1")
]
BINDINGS = [f"{t}Binding" for t in POLICIES]


@stack_rule(
    name="kueue-admission-policies-enforced",
    types=[facts.NAMESPACE, *facts.CLUSTER_QUEUES, *POLICIES, *BINDINGS],
    control="FIN-09",
    description="Where Kueue governs the GPUs, every team namespace is held by the admission "
    "policies that close what Kueue leaves open (serving priority for serving pods only; "
    "children of Kueue's jobs made by their controllers only): each failing closed, with a "
    "validation, and bound with Deny to a selector that matches the namespace.",
    severity="high",
    remediation="Keep the Kueue component's ValidatingAdmissionPolicies and their bindings: "
    "failurePolicy Fail, validationActions [Deny], namespaceSelector mlplat.io/team Exists, no "
    "objectSelector.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(True for _ in of_types(resources, *facts.CLUSTER_QUEUES)):
        return
    policies = {facts.metadata_name(p.props): p.props for p in of_types(resources, *POLICIES)}
    bindings = [b.props for b in of_types(resources, *BINDINGS)]
    teams = (
        n
        for n in of_types(resources, facts.NAMESPACE)
        if facts.TEAM_LABEL in ((n.props.get("metadata") or {}).get("labels") or {})
    )
    yield from each(teams, lambda n: _namespace(n, policies, bindings))


def _namespace(
    namespace: Resource, policies: Mapping[str, Any], bindings: list[Mapping[str, Any]]
) -> Findings:
    name = facts.metadata_name(namespace.props)
    labels = (namespace.props.get("metadata") or {}).get("labels") or {}
    for policy_name, (purpose, resources) in REQUIRED.items():
        where = f"team namespace {name!r}: admission policy {policy_name!r} ({purpose})"
        spec = (policies.get(policy_name) or {}).get("spec")
        if spec is None:
            yield f"{where} does not exist"
            continue
        if spec.get("failurePolicy") not in (None, "Fail"):
            yield f"{where} fails open (failurePolicy {spec.get('failurePolicy')})"
        if not facts.as_list(spec.get("validations")):
            yield f"{where} has no validation"
        if facts.as_list(spec.get("matchConditions")):
            yield f"{where} is skipped where its matchConditions say"
        constraints = spec.get("matchConstraints") or {}
        missed = [r for r in resources if not _writes_of(constraints, r)]
        if missed or not _selects(constraints, labels):
            yield f"{where} does not see creates and updates of {missed or 'its objects'} there"
        held = [
            b
            for b in bindings
            if (b.get("spec") or {}).get("policyName") == policy_name
            and "Deny" in facts.as_list((b.get("spec") or {}).get("validationActions"))
            and _selects(b.get("spec") or {}, labels)
        ]
        if not held:
            yield f"{where} is bound to it by no binding that denies"


def _writes_of(match: Mapping[str, Any], resource: str) -> bool:
    """Whether matchResources takes creates and updates of `resource`, none excluded."""

    def names(rule: Mapping[str, Any], key: str) -> set[str]:
        return {str(v) for v in facts.as_list(rule.get(key))}

    def covers(rule: Mapping[str, Any]) -> bool:
        operations = names(rule, "operations")
        return bool({resource, "*"} & names(rule, "resources")) and (
            "*" in operations or {"CREATE", "UPDATE"} <= operations
        )

    excluded = any(
        {resource, "*"} & names(rule, "resources")
        for rule in facts.as_list(match.get("excludeResourceRules"))
    )
    return not excluded and any(covers(r) for r in facts.as_list(match.get("resourceRules")))


def _selects(spec: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether a binding's matchResources (or a policy's matchConstraints) takes every object of
    a namespace with these labels: its namespaceSelector matches them, no objectSelector
    narrows it, and it excludes none of the resources."""
    match = spec.get("matchResources", spec) or {}
    if facts.as_list(match.get("excludeResourceRules")):
        return False
    objects = match.get("objectSelector") or {}
    if objects.get("matchLabels") or objects.get("matchExpressions"):
        return False
    selector = match.get("namespaceSelector") or {}
    wanted = selector.get("matchLabels") or {}
    if any(str(labels.get(k)) != str(v) or k not in labels for k, v in wanted.items()):
        return False
    return all(_requirement(r, labels) for r in facts.as_list(selector.get("matchExpressions")))


def _requirement(requirement: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key, operator = str(requirement.get("key")), requirement.get("operator")
    values = [str(v) for v in facts.as_list(requirement.get("values"))]
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator == "In":
        return key in labels and str(labels[key]) in values
    if operator == "NotIn":
        return key not in labels or str(labels[key]) not in values
    return False


RULE = check
