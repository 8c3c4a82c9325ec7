from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-subnet-no-public-ip",
    control="NET-06",
    types=["aws:ec2/subnet:Subnet"],
    description="No subnet hands out public IPs on launch; NAT and load balancers bring their own.",
    severity="high",
    remediation="Set map_public_ip_on_launch=False.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if facts.true(props.get("mapPublicIpOnLaunch")):
        yield "mapPublicIpOnLaunch is true: every instance launched here gets a public IP"


RULE = check
