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
    spec = facts.pod_spec(ctx.type, props)
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host) is True:
            yield f"{host} is true"
    for volume in facts.as_list(spec.get("volumes")):
        if volume.get("hostPath"):
            yield f"volume {volume.get('name')!r} mounts host path {volume['hostPath'].get('path')}"
    for container in facts.containers(spec):
        if (container.get("securityContext") or {}).get("privileged") is True:
            yield f"container {container.get('name')!r} is privileged"


RULE = check
