"""Network: exact children and the security-relevant inputs, under the recording mock."""

from __future__ import annotations

from collections import Counter

import pulumi
import pytest

from components.network import (
    INTERFACE_ENDPOINT_SERVICES,
    Network,
    NetworkArgs,
    validate_network_args,
)
from tests.components.builders import BOUNDARY, LOGS_KEY
from tests.recording import ACCOUNT, AZS, REGION, policy


def args(**overrides) -> NetworkArgs:
    values = {
        "account_id": ACCOUNT,
        "region": REGION,
        "cidr_block": "10.10.0.0/16",
        "availability_zones": AZS,
        "subnet_prefix_lengths": {"private": 18, "public": 22, "intra": 22},
        "nat": "single",
        "interface_endpoint_az_count": 1,
        "cluster_name": "mlplat-test",
        "name_prefix": "mlplat-test",
        "flow_logs_kms_key_arn": LOGS_KEY,
        "flow_log_group_name": "/aws/vpc/test/flow-logs",
        "flow_logs_retention_days": 365,
        "permissions_boundary_arn": BOUNDARY,
    }
    values.update(overrides)
    return NetworkArgs(**values)


@pytest.fixture
def single(record):
    return record(lambda: Network("net", args()))


@pytest.fixture
def per_az(record):
    return record(lambda: Network("net", args(nat="one_per_az", interface_endpoint_az_count=3)))


def expected_children(nats: int) -> Counter:
    return Counter(
        {
            "aws:ec2/vpc:Vpc": 1,
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
            "aws:ec2/defaultRouteTable:DefaultRouteTable": 1,
            "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": 1,
            "aws:ec2/subnet:Subnet": 9,
            "aws:ec2/internetGateway:InternetGateway": 1,
            "aws:ec2/routeTable:RouteTable": 5,  # public, intra, one private per AZ
            "aws:ec2/routeTableAssociation:RouteTableAssociation": 9,
            "aws:ec2/route:Route": 4,  # public -> IGW, three private -> NAT
            "aws:ec2/eip:Eip": nats,
            "aws:ec2/natGateway:NatGateway": nats,
            "aws:ec2/vpcEndpoint:VpcEndpoint": 1 + len(INTERFACE_ENDPOINT_SERVICES),
            "aws:ec2/securityGroup:SecurityGroup": 1,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "aws:ec2/flowLog:FlowLog": 1,
        }
    )


def test_children_are_exactly_these_and_all_parented(single, per_az):
    for recording, nats in ((single, 1), (per_az, 3)):
        component = recording.one("mlplat:network:Network")
        assert recording.child_types(component.urn) == expected_children(nats)
        assert len(recording.records) == 1 + sum(expected_children(nats).values())
        # Full type chain in every child URN, as a real `pulumi stack export` holds it.
        for child in recording.records:
            if child is not component:
                assert child.urn.startswith("urn:pulumi:test::mlplat::mlplat:network:Network$")


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(single):
    group = single.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.inputs["retentionInDays"] == 365
    flow = single.one("aws:ec2/flowLog:FlowLog")
    vpc = single.one("aws:ec2/vpc:Vpc")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == vpc.id
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert flow.inputs["iamRoleArn"] == single.one("aws:iam/role:Role").outputs["arn"]


def test_flow_log_role_is_bounded_pinned_and_scoped_to_its_log_group(single):
    role = single.one("aws:iam/role:Role")
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    trust = policy(role, "assumeRolePolicy")["Statement"]
    assert trust == [
        {
            "Sid": "TrustService",
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"},
            },
        }
    ]
    group_arn = single.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    (statement,) = policy(single.one("aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == [group_arn, f"{group_arn}:*"]
    assert all(not a.endswith("*") for a in statement["Action"])


def test_default_security_group_and_route_table_are_emptied(single):
    sg = single.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["ingress"] == []
    assert sg.inputs["egress"] == []
    assert sg.inputs["vpcId"] == single.one("aws:ec2/vpc:Vpc").id
    rt = single.one("aws:ec2/defaultRouteTable:DefaultRouteTable")
    assert rt.inputs["routes"] == []


def test_default_nacl_refuses_ssh_and_rdp_from_anywhere_on_every_subnet(single):
    acl = single.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    denied = {
        (r["fromPort"], r["toPort"], r["cidrBlock"])
        for r in acl.inputs["ingress"]
        if r["action"] == "deny"
    }
    assert denied == {(22, 22, "0.0.0.0/0"), (3389, 3389, "0.0.0.0/0")}
    allow = [r for r in acl.inputs["ingress"] if r["action"] == "allow"]
    assert (
        min(r["ruleNo"] for r in acl.inputs["ingress"] if r["action"] == "deny")
        < allow[0]["ruleNo"]
    )
    subnet_ids = {s.id for s in single.of_type("aws:ec2/subnet:Subnet")}
    assert set(acl.inputs["subnetIds"]) == subnet_ids


def test_no_subnet_maps_public_ips_and_tags_drive_discovery(single):
    by_tier: dict[str, list] = {"public": [], "private": [], "intra": []}
    for subnet in single.of_type("aws:ec2/subnet:Subnet"):
        by_tier[subnet.inputs["tags"]["mlplat.io/tier"]].append(subnet)
    assert {t: len(s) for t, s in by_tier.items()} == {"public": 3, "private": 3, "intra": 3}
    for tier, subnets in by_tier.items():
        assert {s.inputs["availabilityZone"] for s in subnets} == set(AZS)
        for subnet in subnets:
            assert subnet.inputs["mapPublicIpOnLaunch"] is False
            tags = subnet.inputs["tags"]
            assert ("karpenter.sh/discovery" in tags) is (tier == "private")
            assert ("kubernetes.io/role/internal-elb" in tags) is (tier == "private")
            assert ("kubernetes.io/role/elb" in tags) is (tier == "public")
    assert sorted(s.inputs["cidrBlock"] for s in by_tier["private"]) == [
        "10.10.0.0/18",
        "10.10.128.0/18",
        "10.10.64.0/18",
    ]
    assert by_tier["private"][0].inputs["tags"]["karpenter.sh/discovery"] == "mlplat-test"


def test_private_subnets_route_to_nat_and_intra_has_no_default_route(single, per_az):
    for recording, nat_count in ((single, 1), (per_az, 3)):
        nat_ids = {n.id for n in recording.of_type("aws:ec2/natGateway:NatGateway")}
        private_routes = [
            r for r in recording.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs
        ]
        assert len(private_routes) == 3
        assert {r.inputs["natGatewayId"] for r in private_routes} == nat_ids
        assert len(nat_ids) == nat_count
        intra = recording.one("aws:ec2/routeTable:RouteTable", "net-intra")
        routes_from_intra = [
            r
            for r in recording.of_type("aws:ec2/route:Route")
            if r.inputs["routeTableId"] == intra.id
        ]
        assert routes_from_intra == []
    public_route = [r for r in single.of_type("aws:ec2/route:Route") if "gatewayId" in r.inputs]
    assert (
        public_route[0].inputs["gatewayId"]
        == single.one("aws:ec2/internetGateway:InternetGateway").id
    )


def test_nat_gateways_sit_in_public_subnets(per_az):
    public = {
        s.id
        for s in per_az.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["mlplat.io/tier"] == "public"
    }
    assert len(public) == 3
    for nat in per_az.of_type("aws:ec2/natGateway:NatGateway"):
        assert nat.inputs["subnetId"] in public
        assert nat.inputs["connectivityType"] == "public"


def test_endpoints_admit_only_https_from_the_vpc(single, per_az):
    sg = single.one("aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs["egress"] == []
    (rule,) = sg.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == ["10.10.0.0/16"]
    for recording, azs in ((single, 1), (per_az, 3)):
        endpoints = recording.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        services = sorted(
            e.inputs["serviceName"].removeprefix(f"com.amazonaws.{REGION}.") for e in endpoints
        )
        assert services == sorted([*INTERFACE_ENDPOINT_SERVICES, "s3"])
        for endpoint in endpoints:
            if endpoint.inputs["vpcEndpointType"] == "Gateway":
                assert len(endpoint.inputs["routeTableIds"]) == 4  # three private + intra
                continue
            assert endpoint.inputs["privateDnsEnabled"] is True
            assert len(endpoint.inputs["subnetIds"]) == azs
            assert endpoint.inputs["securityGroupIds"] == [
                recording.one("aws:ec2/securityGroup:SecurityGroup").id
            ]


def test_dependencies_are_recorded_for_the_state(single):
    flow = single.one("aws:ec2/flowLog:FlowLog")
    group = single.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.urn in flow.dependencies
    assert flow.property_dependencies["logDestination"] == [group.urn]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"availability_zones": ("a", "a", "b")}, "availability_zones: got ['a', 'a', 'b']"),
        ({"interface_endpoint_az_count": 0}, "interface_endpoint_az_count: got 0; expected 1 to 3"),
        (
            {"subnet_prefix_lengths": {"private": 17, "public": 22, "intra": 22}},
            "subnet_prefix_lengths: 3 AZs x",
        ),
    ],
)
def test_validation_reports_each_problem(overrides, expected):
    problems = validate_network_args(args(**overrides))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_the_component_refuses_invalid_arguments(record):
    with pytest.raises(Exception, match="interface_endpoint_az_count: got 9"):
        record(lambda: Network("net", args(interface_endpoint_az_count=9)))


def test_valid_arguments_have_no_problems():
    assert validate_network_args(args()) == []
    assert isinstance(pulumi.ResourceOptions(), pulumi.ResourceOptions)


def test_the_flow_log_role_is_named_from_the_prefix_not_the_cluster(record):
    renamed = record(lambda: Network("net", args(cluster_name="ml-platform-blue")))
    (role,) = renamed.of_type("aws:iam/role:Role")
    assert role.inputs["name"] == "mlplat-test-flow-logs"


def test_the_flow_log_group_is_the_name_given_never_the_resource_name(record):
    """Named by stacks/naming.py: a component renamed in the program keeps its log group."""
    renamed = record(lambda: Network("blue", args()))
    (group,) = renamed.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/aws/vpc/test/flow-logs"
