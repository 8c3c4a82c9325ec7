from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-launch-template-no-public-ip",
    control="EKS-08",
    types=["aws:ec2/launchTemplate:LaunchTemplate"],
    description="Node launch templates never attach a public IP.",
    severity="high",
    remediation="Set network_interfaces[].associate_public_ip_address='false' (or omit the "
    "interfaces and use private subnets).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    for index, interface in enumerate(facts.as_list(props.get("networkInterfaces"))):
        if str(interface.get("associatePublicIpAddress")).lower() == "true":
            yield f"networkInterfaces[{index}] associates a public IP"


RULE = check
