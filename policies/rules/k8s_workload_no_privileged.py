from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="k8s-workload-no-privileged",
    control="K8S-02",
    types=facts.CONTAINER_HOSTS,
    description="Workloads share no host namespace or path and run no privileged container.",
    severity="critical",
    remediation="Drop hostNetwork/hostPID/hostIPC, hostPath volumes and privileged: true.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if facts.true(spec.get(host)):
            yield f"{host} is true"
    for volume in facts.as_list(spec.get("volumes")):
        if volume.get("hostPath"):
            yield f"volume {volume.get('name')!r} mounts host path {volume['hostPath'].get('path')}"
    for container in [*facts.containers(spec), *facts.overlays(spec)]:
        if facts.true((container.get("securityContext") or {}).get("privileged")):
            yield f"container {container.get('name')!r} is privileged"


RULE = check
