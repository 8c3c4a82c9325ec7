from collections.abc import Sequence

from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

REQUIRED = ["s3", "ecr.api", "ecr.dkr", "sts", "ssm", "logs"]


@stack_rule(
    name="aws-vpc-endpoints-present",
    types=["aws:ec2/vpc:Vpc", "aws:ec2/vpcEndpoint:VpcEndpoint"],
    control="NET-07",
    description="Every VPC has endpoints for S3 (gateway), ECR, STS, SSM and CloudWatch Logs.",
    severity="medium",
    remediation="Declare aws.ec2.VpcEndpoint for each service; S3 as a Gateway endpoint.",
    config_schema={
        "requiredEndpoints": {"type": "array", "items": {"type": "string"}, "default": REQUIRED}
    },
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    endpoints = list(of_types(resources, "aws:ec2/vpcEndpoint:VpcEndpoint"))
    yield from each(
        of_types(resources, "aws:ec2/vpc:Vpc"), lambda vpc: _vpc(endpoints, config, vpc)
    )


def _vpc(endpoints: Sequence[Resource], config: Config, vpc: Resource) -> Findings:
    services = {}
    for endpoint in endpoints:
        if endpoint.refers_to("vpcId", vpc):
            service = str(endpoint.props.get("serviceName") or "").split(".", 3)[-1]
            services[service] = endpoint.props.get("vpcEndpointType") or "Gateway"
    missing = [s for s in config["requiredEndpoints"] if s not in services]
    if missing:
        yield f"VPC has no endpoint for {missing}"
    if services.get("s3") == "Interface":
        yield "S3 endpoint is Interface; a Gateway endpoint is free and route-based"


RULE = check
