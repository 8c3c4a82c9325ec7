from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-eks-cluster-public-cidrs",
    control="EKS-02",
    types=[facts.EKS_CLUSTER],
    description="A public API endpoint, where allowed at all, admits only listed CIDRs.",
    severity="critical",
    remediation="Set vpc_config.public_access_cidrs to the office/VPN ranges (never 0.0.0.0/0).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    vpc = props.get("vpcConfig") or {}
    if facts.false(vpc.get("endpointPublicAccess")):
        raise NotApplicable("the endpoint is private")
    cidrs = list(vpc.get("publicAccessCidrs") or [])
    if not cidrs:
        yield "public endpoint without publicAccessCidrs: AWS opens it to 0.0.0.0/0"
    elif "0.0.0.0/0" in cidrs or "::/0" in cidrs:
        yield f"public endpoint open to the world: {cidrs}"


RULE = check
