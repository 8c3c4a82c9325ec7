from collections.abc import Mapping

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-launch-template-no-public-ip",
    control="EKS-08",
    types=[
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
        facts.EC2_NODE_CLASS,
    ],
    description="Node launch templates, instances and Karpenter node classes never attach a "
    "public IP.",
    severity="high",
    remediation="Set network_interfaces[].associate_public_ip_address='false' (or omit the "
    "interfaces and use private subnets).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == facts.EC2_NODE_CLASS:
        if facts.true((props.get("spec") or {}).get("associatePublicIPAddress")):
            yield "spec.associatePublicIPAddress is true"
        return
    if facts.true(props.get("associatePublicIpAddress")):
        yield "associatePublicIpAddress is true"
    for index, interface in enumerate(facts.as_list(props.get("networkInterfaces"))):
        if isinstance(interface, Mapping) and facts.true(interface.get("associatePublicIpAddress")):
            yield f"networkInterfaces[{index}] associates a public IP"


RULE = check
