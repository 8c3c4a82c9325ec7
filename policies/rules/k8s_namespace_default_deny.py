from collections.abc import Sequence

from policies.framework import (
    Config,
    Findings,
    Props,
    Resource,
    StackFindings,
    UnknownValueError,
    each,
    of_types,
    stack_rule,
)

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _name(resource: Resource) -> str:
    return str((resource.props.get("metadata") or {}).get("name") or resource.name)


@stack_rule(
    name="k8s-namespace-default-deny",
    types=["kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy"],
    control="EKS-12",
    description="Every namespace the platform creates has a default-deny NetworkPolicy.",
    severity="high",
    remediation="Add a NetworkPolicy with podSelector {} and both policyTypes, then allow "
    "what the namespace needs.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    denied: set[str] = set()
    unknown: list[UnknownValueError] = []
    for policy in of_types(resources, NETWORK_POLICY):
        try:
            if _denies_all(policy.props):
                denied.add(str((policy.props.get("metadata") or {}).get("namespace")))
        except UnknownValueError as error:
            unknown.append(error)  # it may be some namespace's default deny: those are undecided
    yield from each(of_types(resources, NAMESPACE), lambda n: _namespace(denied, unknown, n))


def _denies_all(props: Props) -> bool:
    spec = props.get("spec") or {}
    selector = spec.get("podSelector") or {}
    selects_all = not selector.get("matchLabels") and not selector.get("matchExpressions")
    kinds = set(spec.get("policyTypes") or [])
    return (
        selects_all
        and {"Ingress", "Egress"} <= kinds
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def _namespace(denied: set[str], unknown: list[UnknownValueError], namespace: Resource) -> Findings:
    if _name(namespace) in denied:
        return
    if unknown:
        raise unknown[0]
    yield f"namespace {_name(namespace)!r} has no default-deny NetworkPolicy"


RULE = check
