from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="k8s-workload-no-secret-env",
    control="K8S-07",
    types=facts.CONTAINER_HOSTS,
    description="Secrets reach containers as mounted files, never as environment variables.",
    severity="medium",
    remediation="Mount the Secret as a volume (env vars leak into logs, crash dumps and "
    "child processes).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec, ctx))


def _judge(spec: Props, ctx: Ctx) -> Findings:
    for container in [*facts.containers(spec), *facts.overlays(spec)]:
        name = container.get("name")
        for variable in facts.as_list(container.get("env")):
            if (variable.get("valueFrom") or {}).get("secretKeyRef"):
                yield f"container {name!r} reads secret into env {variable.get('name')!r}"
        for source in facts.as_list(container.get("envFrom")):
            if source.get("secretRef"):
                yield f"container {name!r} loads a whole secret into its environment"


RULE = check
