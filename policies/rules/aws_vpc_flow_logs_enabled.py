from collections.abc import Sequence

from policies.framework import Config, Resource, StackFindings, of_types, stack_rule


@stack_rule(
    name="aws-vpc-flow-logs-enabled",
    types=["aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"],
    control="NET-05",
    description="Every VPC has flow logs capturing ALL traffic.",
    severity="high",
    remediation="Declare aws.ec2.FlowLog(vpc_id=..., traffic_type='ALL', ...) per VPC.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    flow_logs = list(of_types(resources, "aws:ec2/flowLog:FlowLog"))
    for flow_log in flow_logs:
        if flow_log.props.get("trafficType") != "ALL":
            yield (
                flow_log.urn,
                (f"flow log captures {flow_log.props.get('trafficType')!r} traffic, not 'ALL'"),
            )
    for vpc in of_types(resources, "aws:ec2/vpc:Vpc"):
        if not any(f.refers_to("vpcId", vpc) for f in flow_logs):
            yield vpc.urn, "VPC has no flow log"


RULE = check
