from collections.abc import Sequence

from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"


@stack_rule(
    name="aws-vpc-default-security-group-closed",
    types=["aws:ec2/vpc:Vpc", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
    control="NET-03",
    description="Every VPC's default security group is adopted and has no rules.",
    severity="high",
    remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[]).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    defaults = list(of_types(resources, DEFAULT_SG))
    for sg in defaults:
        rules = [k for k in ("ingress", "egress") if list(sg.props.get(k) or [])]
        if rules:
            yield sg.urn, f"default security group still has {' and '.join(rules)} rules"
    for vpc in of_types(resources, VPC):
        if not any(sg.refers_to("vpcId", vpc) for sg in defaults):
            yield vpc.urn, "default security group not adopted and emptied for this VPC"


RULE = check
