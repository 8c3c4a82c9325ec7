from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

PROFILES = ("RuntimeDefault", "Localhost")


@resource_rule(
    name="k8s-workload-seccomp",
    control="K8S-05",
    types=facts.CONTAINER_HOSTS,
    description="Pods run under the RuntimeDefault (or a Localhost) seccomp profile.",
    severity="medium",
    remediation="Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    pod = ((spec.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    for container in facts.containers(spec):
        own = ((container.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
        if (own or pod) not in PROFILES:
            yield f"container {container.get('name')!r} runs {own or pod or 'Unconfined'} seccomp"
    for overlay in facts.overlays(spec):
        own = ((overlay.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
        if own is not None and own not in PROFILES:
            yield f"container {overlay.get('name')!r} runs {own} seccomp"


RULE = check
