import ipaddress

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-vpc-cidr-separated",
    control="ENV-01",
    types=["aws:ec2/vpc:Vpc"],
    description="A VPC stays inside its environment's range and overlaps no other environment's.",
    severity="high",
    remediation="Use the environment's own vpc_cidr from its environment file.",
    config_schema={
        "vpcCidr": facts.VPC_CIDR,
        "otherEnvironments": facts.OTHER_ENVIRONMENTS,
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    cidr = props.get("cidrBlock")
    if not cidr:
        yield "no cidrBlock: the VPC's range cannot be checked (IPAM allocations: name the pool)"
        return
    network = ipaddress.IPv4Network(str(cidr), strict=False)
    own = ctx.config.get("vpcCidr")
    if not own:
        yield "policy config has no vpcCidr for this environment: separation cannot be checked"
    elif not network.subnet_of(ipaddress.IPv4Network(own)):
        yield f"cidrBlock {cidr} is outside this environment's range {own}"
    for name, other in sorted(ctx.config["otherEnvironments"].items()):
        other_cidr = other.get("vpcCidr")
        if other_cidr and network.overlaps(ipaddress.ip_network(other_cidr)):
            yield f"cidrBlock {cidr} overlaps {name}'s {other_cidr}"


RULE = check
