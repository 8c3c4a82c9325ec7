from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-cluster-endpoint-private",
    control="EKS-01",
    types=[facts.EKS_CLUSTER],
    description="The Kubernetes API endpoint is private only.",
    severity="high",
    remediation="Set vpc_config.endpoint_private_access=True and endpoint_public_access=False "
    "(AWS's default is public).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    vpc = props.get("vpcConfig") or {}
    if not facts.false(vpc.get("endpointPublicAccess")):
        yield "endpointPublicAccess is not false: the API server is reachable from the internet"
    if not facts.true(vpc.get("endpointPrivateAccess")):
        yield "endpointPrivateAccess is not true: nodes reach the API through the internet"


RULE = check
