from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

GPU = "nvidia.com/gpu"


@resource_rule(
    name="k8s-workload-resource-limits",
    control="K8S-07",
    types=facts.CONTAINER_HOSTS,
    description="Containers declare CPU and memory limits, and GPU requests carry a GPU limit.",
    severity="medium",
    remediation="Set resources.limits.cpu and .memory; for GPUs set limits['nvidia.com/gpu'].",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    for container in facts.containers(spec):
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        name = container.get("name")
        missing = [k for k in ("cpu", "memory") if k not in limits]
        if missing:
            yield f"container {name!r} has no {' or '.join(missing)} limit"
        if GPU in (resources.get("requests") or {}) and GPU not in limits:
            yield f"container {name!r} requests GPUs without a GPU limit"
    for overlay in facts.overlays(spec):
        resources = overlay.get("resources") or {}
        if GPU in (resources.get("requests") or {}) and GPU not in (resources.get("limits") or {}):
            yield f"container {overlay.get('name')!r} requests GPUs without a GPU limit"


RULE = check
