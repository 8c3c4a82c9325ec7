from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ROLES = [
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
]
BINDINGS = [
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
]


@resource_rule(
    name="k8s-rbac-least-privilege",
    control="K8S-06",
    types=[*ROLES, *BINDINGS],
    description="Roles name their verbs and resources, and nothing binds cluster-admin.",
    severity="high",
    remediation="List verbs, resources and apiGroups; bind a scoped role instead of cluster-admin.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type in BINDINGS:
        role = (props.get("roleRef") or {}).get("name")
        if role == "cluster-admin":
            subjects = [s.get("name") for s in facts.as_list(props.get("subjects"))]
            yield f"binds cluster-admin to {subjects}"
        return
    for index, rule in enumerate(facts.as_list(props.get("rules"))):
        for field in ("verbs", "resources", "apiGroups"):
            if "*" in [str(v) for v in facts.as_list(rule.get(field))]:
                yield f"rules[{index}].{field} is '*'"


RULE = check
