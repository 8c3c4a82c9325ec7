from collections.abc import Sequence

from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

BLOCKING = ("block-ingress", "block-bidirectional")


@stack_rule(
    name="aws-vpc-block-public-access",
    types=["aws:ec2/vpc:Vpc", "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"],
    account_baseline=True,
    control="NET-10",
    description="VPC Block Public Access is on for the region: nothing is reachable from the "
    "internet through an internet gateway.",
    severity="high",
    remediation="Declare aws.ec2.VpcBlockPublicAccessOptions(internet_gateway_block_mode="
    "'block-ingress') (NAT egress keeps working).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    if not any(of_types(resources, "aws:ec2/vpc:Vpc")):
        return
    options = list(
        of_types(resources, "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions")
    )
    if not options:
        yield "", "no VpcBlockPublicAccessOptions: VPC Block Public Access is off"
    for option in options:
        mode = option.props.get("internetGatewayBlockMode")
        if mode not in BLOCKING:
            yield option.urn, f"internetGatewayBlockMode is {mode!r}; expected one of {BLOCKING}"


RULE = check
