from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


@resource_rule(
    name="aws-eks-cluster-control-plane-logs",
    control="EKS-04",
    types=[facts.EKS_CLUSTER],
    description="All five control-plane log types go to CloudWatch Logs.",
    severity="high",
    remediation=f"Set enabled_cluster_log_types={LOG_TYPES}.",
    config_schema={"requiredLogTypes": {"type": "array", "default": LOG_TYPES}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    enabled = set(props.get("enabledClusterLogTypes") or [])
    missing = [t for t in ctx.config["requiredLogTypes"] if t not in enabled]
    if missing:
        yield f"control-plane logs {missing} are off"


RULE = check
