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
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    pod = spec.get("securityContext") or {}
    for container in facts.containers(spec):
        own = container.get("securityContext") or {}
        name = container.get("name")
        if not facts.false(own.get("allowPrivilegeEscalation")):
            yield f"container {name!r} may escalate privileges"
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = own.get("runAsUser", pod.get("runAsUser"))
        if not facts.true(non_root):
            yield f"container {name!r} does not set runAsNonRoot"
        elif user is not None and facts.number(user) == 0:
            yield f"container {name!r} runs as UID 0"
    for overlay in facts.overlays(spec):
        own, name = overlay.get("securityContext") or {}, overlay.get("name")
        if facts.true(own.get("allowPrivilegeEscalation")):
            yield f"container {name!r} may escalate privileges"
        if facts.false(own.get("runAsNonRoot")):
            yield f"container {name!r} does not set runAsNonRoot"
        if own.get("runAsUser") is not None and facts.number(own.get("runAsUser")) == 0:
            yield f"container {name!r} runs as UID 0"


RULE = check
