"""Network rule fixtures."""

from tests.policies.cases import (
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Case,
    StackCase,
    resource,
)

SG = "aws:ec2/securityGroup:SecurityGroup"
HTTPS_FROM_VPC = {
    "ingress": [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.20.0.0/16"]}
    ],
    "egress": [],
}


def open_ingress(protocol, low, high, cidr="0.0.0.0/0"):
    return {
        "ingress": [{"protocol": protocol, "fromPort": low, "toPort": high, "cidrBlocks": [cidr]}]
    }


def acl_entry(number, action, protocol, port):
    return {
        "ruleNo": number,
        "action": action,
        "protocol": protocol,
        "cidrBlock": "0.0.0.0/0",
        "fromPort": port,
        "toPort": port,
    }


DENY_ADMIN_ACL = {
    "ingress": [
        acl_entry(10, "deny", "tcp", 22),
        acl_entry(11, "deny", "tcp", 3389),
        acl_entry(100, "allow", "-1", 0),
    ]
}

VPC = resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.20.0.0/16"})
ON_VPC = {"vpcId": [VPC.urn]}
LOCKED_SG = resource(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "default-sg",
    {"vpcId": "vpc-1", "ingress": [], "egress": []},
    deps=ON_VPC,
)
FLOW_LOG = resource(
    "aws:ec2/flowLog:FlowLog", "flow", {"vpcId": "vpc-1", "trafficType": "ALL"}, deps=ON_VPC
)


def endpoint(service, kind="Interface"):
    return resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        f"ep-{service}",
        {
            "vpcId": "vpc-1",
            "serviceName": f"com.amazonaws.eu-west-1.{service}",
            "vpcEndpointType": kind,
        },
        deps=ON_VPC,
    )


ENDPOINTS = [endpoint("s3", "Gateway")] + [
    endpoint(s) for s in ("ecr.api", "ecr.dkr", "sts", "ssm", "logs")
]
BPA = resource(
    "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions",
    "bpa",
    {"internetGatewayBlockMode": "block-ingress"},
)

CASES = [
    Case(
        rule="aws-ec2-security-group-no-risky-ports-open",
        type=SG,
        passing=HTTPS_FROM_VPC,
        failing=[
            (
                "ssh",
                open_ingress("tcp", 22, 22),
                ["tcp 22-22 open to ['0.0.0.0/0'] exposes ports [22]"],
            ),
            (
                "wide range",
                open_ingress("tcp", 0, 6000, "::/0"),
                ["tcp 0-6000 open to ['::/0'] exposes ports [22, 3389, 2379, 3306, 5432]"],
            ),
            (
                "ingress rule resource",
                {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "0.0.0.0/0"},
                ["tcp 5432-5432 open to ['0.0.0.0/0'] exposes ports [5432]"],
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            ),
        ],
        not_applicable=("aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16"}),
        unknown={
            "ingress": [
                {"protocol": "tcp", "fromPort": UNKNOWN_NUMBER, "toPort": 22, "cidrBlocks": []}
            ]
        },
    ),
    Case(
        rule="aws-ec2-security-group-no-all-protocols-open",
        type=SG,
        passing=HTTPS_FROM_VPC,
        failing=[
            ("all from world", open_ingress("-1", 0, 0), ["all protocols open to ['0.0.0.0/0']"]),
            (
                "sg rule resource",
                {
                    "type": "ingress",
                    "protocol": "all",
                    "fromPort": 0,
                    "toPort": 0,
                    "ipv6CidrBlocks": ["::/0"],
                },
                ["all protocols open to ['::/0']"],
                "aws:ec2/securityGroupRule:SecurityGroupRule",
            ),
        ],
        not_applicable=("aws:ec2/subnet:Subnet", {}),
        unknown={"ingress": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-ec2-nacl-no-admin-ports-open",
        type="aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        passing=DENY_ADMIN_ACL,
        failing=[
            (
                "allow all first",
                {
                    "ingress": [
                        dict(DENY_ADMIN_ACL["ingress"][2], ruleNo=5),
                        *DENY_ADMIN_ACL["ingress"][:2],
                    ]
                },
                ["entry 5 admits 0.0.0.0/0 to port 22", "entry 5 admits 0.0.0.0/0 to port 3389"],
            ),
            (
                "rule resource",
                {
                    "egress": False,
                    "ruleNumber": 100,
                    "ruleAction": "allow",
                    "protocol": "tcp",
                    "cidrBlock": "0.0.0.0/0",
                    "fromPort": 3389,
                    "toPort": 3389,
                },
                ["entry 100 admits 0.0.0.0/0 to port 3389"],
                "aws:ec2/networkAclRule:NetworkAclRule",
            ),
        ],
        not_applicable=(SG, HTTPS_FROM_VPC),
        unknown={"ingress": [dict(DENY_ADMIN_ACL["ingress"][0], cidrBlock=UNKNOWN_STRING)]},
    ),
    Case(
        rule="aws-ec2-subnet-no-public-ip",
        type="aws:ec2/subnet:Subnet",
        passing={"cidrBlock": "10.20.0.0/22", "mapPublicIpOnLaunch": False},
        failing=[
            (
                "maps public ips",
                {"cidrBlock": "10.20.0.0/22", "mapPublicIpOnLaunch": True},
                ["mapPublicIpOnLaunch is true: every instance launched here gets a public IP"],
            )
        ],
        not_applicable=("aws:ec2/vpc:Vpc", {}),
        unknown={"mapPublicIpOnLaunch": UNKNOWN_BOOL},
    ),
    Case(
        rule="aws-ec2-transit-gateway-no-auto-accept",
        type="aws:ec2transitgateway/transitGateway:TransitGateway",
        passing={"autoAcceptSharedAttachments": "disable"},
        failing=[
            (
                "auto accept",
                {"autoAcceptSharedAttachments": "enable"},
                ["autoAcceptSharedAttachments is 'enable': any account sharing it can attach"],
            )
        ],
        not_applicable=("aws:ec2/vpc:Vpc", {}),
        unknown={"autoAcceptSharedAttachments": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-ec2-route-no-broad-peering",
        type="aws:ec2/route:Route",
        passing={"destinationCidrBlock": "10.40.0.0/16", "vpcPeeringConnectionId": "pcx-1"},
        failing=[
            (
                "default via peering",
                {"destinationCidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": "pcx-1"},
                ["0.0.0.0/0 routed through peering connection; at most a /16 allowed"],
            ),
            (
                "inline route",
                {"routes": [{"cidrBlock": "10.0.0.0/8", "vpcPeeringConnectionId": "pcx-1"}]},
                ["10.0.0.0/8 routed through peering connection; at most a /16 allowed"],
                "aws:ec2/routeTable:RouteTable",
            ),
        ],
        not_applicable=("aws:ec2/vpc:Vpc", {}),
        unknown={"destinationCidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": UNKNOWN_STRING},
    ),
    Case(
        rule="aws-ec2-no-default-vpc",
        type="aws:ec2/defaultVpc:DefaultVpc",
        passing=None,
        failing=[("adopted", {}, ["DefaultVpc adopts the default VPC, which has public subnets"])],
        not_applicable=("aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16"}),
        unknown={"tags": UNKNOWN_STRING},
        unknown_status="fail",
    ),
    StackCase(
        rule="aws-vpc-default-security-group-closed",
        passing=[VPC, LOCKED_SG],
        failing=[
            (
                "not adopted",
                [VPC],
                [("vpc", "default security group not adopted and emptied for this VPC")],
            ),
            (
                "rules left",
                [
                    VPC,
                    resource(
                        LOCKED_SG.type,
                        "default-sg",
                        {"vpcId": "vpc-1", "ingress": [{"protocol": "-1"}], "egress": []},
                        deps=ON_VPC,
                    ),
                ],
                [("default-sg", "default security group still has ingress rules")],
            ),
        ],
        not_applicable=[resource("aws:s3/bucketV2:BucketV2", "b", {})],
        unknown=[
            VPC,
            resource(LOCKED_SG.type, "default-sg", {"ingress": UNKNOWN_STRING}, deps=ON_VPC),
        ],
    ),
    StackCase(
        rule="aws-vpc-flow-logs-enabled",
        passing=[VPC, FLOW_LOG],
        failing=[
            ("none", [VPC], [("vpc", "VPC has no flow log")]),
            (
                "rejects only",
                [VPC, resource(FLOW_LOG.type, "flow", {"trafficType": "REJECT"}, deps=ON_VPC)],
                [("flow", "flow log captures 'REJECT' traffic, not 'ALL'")],
            ),
        ],
        not_applicable=[resource("aws:s3/bucketV2:BucketV2", "b", {})],
        unknown=[
            VPC,
            resource(FLOW_LOG.type, "flow", {"trafficType": UNKNOWN_STRING}, deps=ON_VPC),
        ],
    ),
    StackCase(
        rule="aws-vpc-endpoints-present",
        passing=[VPC, *ENDPOINTS],
        failing=[
            (
                "missing",
                [VPC, *ENDPOINTS[:3]],
                [("vpc", "VPC has no endpoint for ['sts', 'ssm', 'logs']")],
            ),
            (
                "s3 interface",
                [VPC, endpoint("s3"), *ENDPOINTS[1:]],
                [("vpc", "S3 endpoint is Interface; a Gateway endpoint is free and route-based")],
            ),
        ],
        not_applicable=[resource("aws:s3/bucketV2:BucketV2", "b", {})],
        unknown=[
            VPC,
            resource(
                "aws:ec2/vpcEndpoint:VpcEndpoint", "e", {"serviceName": UNKNOWN_STRING}, deps=ON_VPC
            ),
        ],
    ),
    StackCase(
        rule="aws-vpc-block-public-access",
        passing=[VPC, BPA],
        failing=[
            (
                "off",
                [VPC],
                [("", "no VpcBlockPublicAccessOptions: VPC Block Public Access is off")],
            ),
            (
                "off mode",
                [VPC, resource(BPA.type, "bpa", {"internetGatewayBlockMode": "off"})],
                [
                    (
                        "bpa",
                        "internetGatewayBlockMode is 'off'; expected one of "
                        "('block-ingress', 'block-bidirectional')",
                    )
                ],
            ),
        ],
        not_applicable=[resource("aws:s3/bucketV2:BucketV2", "b", {})],
        unknown=[VPC, resource(BPA.type, "bpa", {"internetGatewayBlockMode": UNKNOWN_STRING})],
    ),
]
