from collections.abc import Sequence

from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

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
    yield from each(defaults, _default_group)
    yield from each(of_types(resources, VPC), lambda vpc: _vpc(defaults, vpc))


def _default_group(group: Resource) -> Findings:
    rules = [k for k in ("ingress", "egress") if list(group.props.get(k) or [])]
    if rules:
        yield f"default security group still has {' and '.join(rules)} rules"


def _vpc(defaults: Sequence[Resource], vpc: Resource) -> Findings:
    if not any(sg.refers_to("vpcId", vpc) for sg in defaults):
        yield "default security group not adopted and emptied for this VPC"


RULE = check
