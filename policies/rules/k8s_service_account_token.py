from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


@resource_rule(
    name="k8s-service-account-token",
    control="K8S-06",
    types=[SERVICE_ACCOUNT, *facts.POD_OWNERS],
    description="Service accounts do not automount API tokens, and workloads never run as the "
    "namespace's default service account.",
    severity="medium",
    remediation="Set automountServiceAccountToken: false on the ServiceAccount (mount a token "
    "explicitly where the API is needed) and give each workload its own serviceAccountName.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == SERVICE_ACCOUNT:
        if not facts.false(props.get("automountServiceAccountToken")):
            yield "automountServiceAccountToken is not false"
        return
    for where, spec in facts.pod_specs(ctx.type, props):
        yield from (where + message for message in _judge(spec))


def _judge(spec: Props) -> Findings:
    account = spec.get("serviceAccountName") or "default"
    if account == "default":
        yield "runs as the namespace's default service account"


RULE = check
