from collections.abc import Sequence

from policies.framework import Config, Resource, StackFindings, of_types, stack_rule

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
    for vpc in of_types(resources, "aws:ec2/vpc:Vpc"):
        services = {}
        for endpoint in endpoints:
            if endpoint.refers_to("vpcId", vpc):
                service = str(endpoint.props.get("serviceName") or "").split(".", 3)[-1]
                services[service] = endpoint.props.get("vpcEndpointType") or "Gateway"
        missing = [s for s in config["requiredEndpoints"] if s not in services]
        if missing:
            yield vpc.urn, f"VPC has no endpoint for {missing}"
        if services.get("s3") == "Interface":
            yield vpc.urn, "S3 endpoint is Interface; a Gateway endpoint is free and route-based"


RULE = check
