from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="k8s-workload-non-root",
    control="K8S-03",
    types=facts.CONTAINER_HOSTS,
    description="Containers run as non-root and cannot escalate privileges.",
    severity="high",
    remediation="Set runAsNonRoot: true (and a non-zero runAsUser) and "
    "allowPrivilegeEscalation: false.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    spec = facts.pod_spec(ctx.type, props)
    pod = spec.get("securityContext") or {}
    for container in facts.containers(spec):
        own = container.get("securityContext") or {}
        name = container.get("name")
        if own.get("allowPrivilegeEscalation") is not False:
            yield f"container {name!r} may escalate privileges"
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = own.get("runAsUser", pod.get("runAsUser"))
        if non_root is not True:
            yield f"container {name!r} does not set runAsNonRoot"
        elif user == 0:
            yield f"container {name!r} runs as UID 0"


RULE = check
