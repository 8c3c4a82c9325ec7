from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="k8s-workload-not-default-namespace",
    control="K8S-07",
    types=[*facts.WORKLOADS, "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap"],
    description="Objects live in their team's or component's namespace, never `default`.",
    severity="low",
    remediation="Set metadata.namespace explicitly.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if facts.namespace_of(props) in ("", "default"):
        yield "in the default namespace"


RULE = check
