from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-no-default-vpc",
    control="NET-10",
    types=["aws:ec2/defaultVpc:DefaultVpc", "aws:ec2/defaultSubnet:DefaultSubnet"],
    description="The platform never places anything in the default VPC.",
    severity="high",
    remediation="Use the environment's own VPC from the Network component.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    yield f"{ctx.type.rsplit(':', 1)[1]} adopts the default VPC, which has public subnets"


RULE = check
