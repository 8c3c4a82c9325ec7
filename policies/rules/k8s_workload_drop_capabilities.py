from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="k8s-workload-drop-capabilities",
    control="K8S-04",
    types=facts.CONTAINER_HOSTS,
    description="Containers drop ALL capabilities and add back at most NET_BIND_SERVICE.",
    severity="high",
    remediation="Set securityContext.capabilities {drop: [ALL]}.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    for container in facts.containers(spec):
        capabilities = (container.get("securityContext") or {}).get("capabilities") or {}
        name = container.get("name")
        if "ALL" not in [str(c).upper() for c in facts.as_list(capabilities.get("drop"))]:
            yield f"container {name!r} does not drop ALL capabilities"
        yield from _added(name, capabilities)
    for overlay in facts.overlays(spec):
        capabilities = (overlay.get("securityContext") or {}).get("capabilities") or {}
        yield from _added(overlay.get("name"), capabilities)


def _added(name: object, capabilities: Props) -> Findings:
    added = [c for c in facts.as_list(capabilities.get("add")) if c != "NET_BIND_SERVICE"]
    if added:
        yield f"container {name!r} adds capabilities {added}"


RULE = check
