import ipaddress

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-peering-same-environment",
    control="ENV-02",
    types=[
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:ec2/route:Route",
    ],
    description="No peering or route connects this environment's network to another's.",
    severity="critical",
    remediation="Keep environments' networks apart; share through published endpoints instead.",
    config_schema={"otherEnvironments": facts.OTHER_ENVIRONMENTS},
)
def check(props: Props, ctx: Ctx) -> Findings:
    others = ctx.config["otherEnvironments"]
    if ctx.type == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        owner = props.get("peerOwnerId")
        env = facts.other_accounts(ctx.config).get(str(owner))
        if env:
            yield f"peers with a VPC in {env}'s account {owner}"
        return
    destination = props.get("destinationCidrBlock")
    if not destination:
        return
    network = ipaddress.ip_network(str(destination), strict=False)
    for name, other in sorted(others.items()):
        cidr = other.get("vpcCidr")
        if cidr and network.prefixlen > 0 and network.overlaps(ipaddress.ip_network(cidr)):
            yield f"routes {destination} into {name}'s range {cidr}"


RULE = check
