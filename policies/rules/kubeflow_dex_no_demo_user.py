from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# Kubeflow's example Dex config: user@example.com / 12341234 (kubeflow/kubeflow #6291).
DEMO_EMAIL = "user@example.com"
DEMO_HASH = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72"


@resource_rule(
    name="kubeflow-dex-no-demo-user",
    control="K8S-10",
    types=["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", *facts.HELM],
    description="Kubeflow's demo Dex user (user@example.com / 12341234) never exists.",
    severity="critical",
    remediation="Replace Dex staticPasswords with the environment's OIDC connector.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    content = " ".join(
        facts.strings({k: props.get(k) for k in ("data", "stringData", "values") if k in props})
    )
    if DEMO_EMAIL in content or DEMO_HASH in content:
        yield "contains Kubeflow's demo Dex credentials"


RULE = check
