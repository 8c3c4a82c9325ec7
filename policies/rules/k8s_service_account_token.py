from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


@resource_rule(
    name="k8s-service-account-token",
    control="K8S-06",
    types=[SERVICE_ACCOUNT, *facts.WORKLOADS],
    description="Service accounts do not automount API tokens, and workloads never run as the "
    "namespace's default service account.",
    severity="medium",
    remediation="Set automountServiceAccountToken: false on the ServiceAccount (mount a token "
    "explicitly where the API is needed) and give each workload its own serviceAccountName.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == SERVICE_ACCOUNT:
        if props.get("automountServiceAccountToken") is not False:
            yield "automountServiceAccountToken is not false"
        return
    spec = facts.pod_spec(ctx.type, props)
    account = spec.get("serviceAccountName") or "default"
    if account == "default":
        yield "runs as the namespace's default service account"


RULE = check
