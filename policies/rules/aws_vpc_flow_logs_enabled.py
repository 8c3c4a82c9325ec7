from collections.abc import Sequence

from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule


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
    yield from each(flow_logs, _flow_log)
    yield from each(of_types(resources, "aws:ec2/vpc:Vpc"), lambda vpc: _vpc(flow_logs, vpc))


def _flow_log(flow_log: Resource) -> Findings:
    if flow_log.props.get("trafficType") != "ALL":
        yield f"flow log captures {flow_log.props.get('trafficType')!r} traffic, not 'ALL'"


def _vpc(flow_logs: Sequence[Resource], vpc: Resource) -> Findings:
    if not any(f.refers_to("vpcId", vpc) for f in flow_logs):
        yield "VPC has no flow log"


RULE = check
