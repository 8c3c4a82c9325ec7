from collections.abc import Sequence

from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

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
    denied = set()
    for policy in of_types(resources, NETWORK_POLICY):
        spec = policy.props.get("spec") or {}
        selects_all = not (spec.get("podSelector") or {}).get("matchLabels") and not (
            spec.get("podSelector") or {}
        ).get("matchExpressions")
        kinds = set(spec.get("policyTypes") or [])
        if (
            selects_all
            and {"Ingress", "Egress"} <= kinds
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            denied.add((policy.props.get("metadata") or {}).get("namespace"))
    for namespace in of_types(resources, NAMESPACE):
        if _name(namespace) not in denied:
            yield namespace.urn, f"namespace {_name(namespace)!r} has no default-deny NetworkPolicy"


RULE = check
