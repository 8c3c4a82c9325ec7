"""The environment's VPC: three tiers of subnets over three AZs, NAT, endpoints and flow logs.

Tiers:
- public: NAT gateways and internet-facing load balancers only (no subnet maps public IPs);
- private: nodes and pods (routed to NAT), interface endpoints, internal load balancers;
- intra: no route to the internet at all (EKS control-plane ENIs, databases).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import partition

Tier = Literal["public", "private", "intra"]
TIERS: tuple[Tier, ...] = ("public", "private", "intra")
NatStrategy = Literal["single", "one_per_az"]

# Interface endpoints every environment gets: image pulls, credentials, logs and the EC2 and SSM
# APIs that nodes and Karpenter call; each keeps that traffic off the NAT gateways.
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "ssm")

# Inbound ports refused from anywhere at the subnet boundary, before any security group is
# consulted (FSBP EC2.21, CIS-AWS 5.1): SSH and RDP.
NACL_DENIED_ADMIN_PORTS: tuple[int, ...] = (22, 3389)


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs per tier and AZ, in AZ order."""

    cidrs: Mapping[Tier, Sequence[str]]


def plan_subnets(
    vpc_cidr: str, availability_zones: Sequence[str], prefix_lengths: Mapping[Tier, int]
) -> SubnetPlan:
    """Packs one subnet per tier and AZ into the VPC, largest first, each aligned to its size.

    Largest-first packing of power-of-two blocks leaves no gaps, so the plan fits exactly when the
    sum of the blocks fits. Raises ValueError naming what does not fit.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr)
    for tier in TIERS:
        prefix = prefix_lengths[tier]
        if not vpc.prefixlen < prefix <= 28:
            raise ValueError(
                f"{tier} subnets /{prefix} must be smaller than the VPC /{vpc.prefixlen} "
                "and at least /28"
            )
    needed = sum(2 ** (32 - prefix_lengths[t]) * len(availability_zones) for t in TIERS)
    if needed > vpc.num_addresses:
        sizes = ", ".join(f"{t} /{prefix_lengths[t]}" for t in TIERS)
        raise ValueError(
            f"{len(availability_zones)} AZs x ({sizes}) need {needed} addresses; "
            f"the VPC {vpc} has {vpc.num_addresses}"
        )
    cidrs: dict[Tier, list[str]] = {t: [] for t in TIERS}
    cursor = int(vpc.network_address)
    # Stable order: by size, then by tier name, so equal sizes never swap places between runs.
    for tier in sorted(TIERS, key=lambda t: (prefix_lengths[t], t)):
        for _ in availability_zones:
            block = ipaddress.IPv4Network((cursor, prefix_lengths[tier]))
            cidrs[tier].append(str(block))
            cursor += block.num_addresses
    return SubnetPlan(cidrs=cidrs)


@component_args
class NetworkArgs:
    account_id: str = arg("the environment's AWS account (pins the flow-log role's trust)")
    region: str = arg("the environment's region (endpoint service names)")
    cidr_block: str = arg("the VPC's IPv4 range; disjoint from every other environment")
    availability_zones: Sequence[str] = arg("three distinct AZs; one subnet per tier in each")
    subnet_prefix_lengths: Mapping[Tier, int] = arg(
        "prefix length per tier (`public`, `private`, `intra`), packed largest first"
    )
    nat: NatStrategy = arg("`single` (one NAT, cheapest) or `one_per_az` (no cross-AZ dependency)")
    interface_endpoint_az_count: int = arg(
        "interface endpoints in the first N AZs (1 in dev saves ~$7/month per endpoint per AZ)"
    )
    cluster_name: str = arg("EKS cluster name: Karpenter's subnet discovery tag")
    name_prefix: str = arg("the flow-log delivery role is `<prefix>-flow-logs`")
    flow_logs_kms_key_arn: pulumi.Input[str] = arg("customer key encrypting the flow-log group")
    flow_log_group_name: str = arg("the flow-log group's name (stacks/naming.py)")
    flow_logs_retention_days: int = arg(
        "flow-log retention, one of CloudWatch's allowed values (CW-01)", default=365
    )
    permissions_boundary_arn: pulumi.Input[str] | None = arg(
        "permission boundary for the flow-log delivery role", default=None
    )


def validate_network_args(args: NetworkArgs) -> list[str]:
    """Every problem with the arguments, as 'field: got X; expected Y' lines."""
    problems = []
    azs = list(args.availability_zones)
    if len(azs) != 3 or len(set(azs)) != 3:
        problems.append(f"availability_zones: got {azs}; expected three distinct AZs")
    if not 1 <= args.interface_endpoint_az_count <= len(azs):
        problems.append(
            f"interface_endpoint_az_count: got {args.interface_endpoint_az_count}; "
            f"expected 1 to {len(azs)}"
        )
    try:
        plan_subnets(args.cidr_block, azs, args.subnet_prefix_lengths)
    except ValueError as err:
        problems.append(f"subnet_prefix_lengths: {err}")
    return problems


class Network(pulumi.ComponentResource):
    """VPC with public, private and intra subnets, NAT, endpoints and flow logs of ALL traffic."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:network:Network", name, None, opts)
        problems = validate_network_args(args)
        if problems:
            raise ValueError(f"Network {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        azs = list(args.availability_zones)
        plan = plan_subnets(args.cidr_block, azs, args.subnet_prefix_lengths)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # Adopt the defaults AWS creates with every VPC and strip them, so nothing attached to
        # them by mistake gets traffic (FSBP EC2.2, CIS-AWS 5.4).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-locked"},
            opts=child,
        )
        aws.ec2.DefaultRouteTable(
            f"{name}-default-rt",
            default_route_table_id=self.vpc.default_route_table_id,
            routes=[],
            tags={"Name": f"{name}-default-unrouted"},
            opts=child,
        )

        self.subnets: dict[Tier, dict[str, aws.ec2.Subnet]] = {t: {} for t in TIERS}
        for tier in TIERS:
            for az, cidr in zip(azs, plan.cidrs[tier], strict=True):
                self.subnets[tier][az] = aws.ec2.Subnet(
                    f"{name}-{tier}-{az}",
                    vpc_id=self.vpc.id,
                    cidr_block=cidr,
                    availability_zone=az,
                    # Never, not even in public subnets: NAT gateways and load balancers bring
                    # their own addresses (FSBP EC2.15).
                    map_public_ip_on_launch=False,
                    tags={
                        "Name": f"{name}-{tier}-{az}",
                        "mlplat.io/tier": tier,
                        **_discovery_tags(tier, args.cluster_name),
                    },
                    opts=child,
                )
        all_subnet_ids = [s.id for t in TIERS for s in self.subnets[t].values()]
        self._subnet_acl(name, args, all_subnet_ids, child)

        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child
        )
        public_rt = self._route_table(name, "public", args, self.subnets["public"], child)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )

        nat_azs = azs[:1] if args.nat == "single" else azs
        self.nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        for az in nat_azs:
            eip = aws.ec2.Eip(
                f"{name}-nat-{az}",
                domain="vpc",
                tags={"Name": f"{name}-nat-{az}"},
                opts=child,
            )
            self.nat_gateways[az] = aws.ec2.NatGateway(
                f"{name}-nat-{az}",
                allocation_id=eip.allocation_id,
                subnet_id=self.subnets["public"][az].id,
                connectivity_type="public",
                tags={"Name": f"{name}-nat-{az}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        private_route_tables = []
        for az in azs:
            rt = self._route_table(
                name, f"private-{az}", args, {az: self.subnets["private"][az]}, child
            )
            nat = self.nat_gateways.get(az, self.nat_gateways[nat_azs[0]])
            aws.ec2.Route(
                f"{name}-private-{az}-default",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            private_route_tables.append(rt)
        intra_rt = self._route_table(name, "intra", args, self.subnets["intra"], child)

        # S3 traffic (model artifacts, images' layers) never crosses NAT: gateway endpoint, free.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in [*private_route_tables, intra_rt]],
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc.id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="HTTPS from the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.cidr_block],
                )
            ],
            egress=[],
            tags={"Name": f"{name}-endpoints"},
            opts=child,
        )
        endpoint_subnet_ids = [
            self.subnets["private"][az].id for az in azs[: args.interface_endpoint_az_count]
        ]
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=endpoint_subnet_ids,
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )

        self.flow_log_group = self._flow_logs(name, args, child)

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [s.id for s in self.subnets["public"].values()]
        self.private_subnet_ids = [s.id for s in self.subnets["private"].values()]
        self.intra_subnet_ids = [s.id for s in self.subnets["intra"].values()]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "intra_subnet_ids": self.intra_subnet_ids,
                "endpoint_security_group_id": self.endpoint_security_group.id,
                "flow_log_group_name": self.flow_log_group.name,
            }
        )

    def _route_table(
        self,
        name: str,
        label: str,
        args: NetworkArgs,
        subnets: Mapping[str, aws.ec2.Subnet],
        child: pulumi.ResourceOptions,
    ) -> aws.ec2.RouteTable:
        rt = aws.ec2.RouteTable(
            f"{name}-{label}",
            vpc_id=self.vpc.id,
            tags={"Name": f"{name}-{label}"},
            opts=child,
        )
        for az, subnet in subnets.items():
            aws.ec2.RouteTableAssociation(
                f"{name}-{label}-{az}" if len(subnets) > 1 else f"{name}-{label}",
                route_table_id=rt.id,
                subnet_id=subnet.id,
                opts=child,
            )
        return rt

    def _subnet_acl(
        self,
        name: str,
        args: NetworkArgs,
        subnet_ids: Sequence[pulumi.Output[str]],
        child: pulumi.ResourceOptions,
    ) -> None:
        """The default NACL, adopted: admin ports refused from anywhere, everything else allowed.

        Security groups stay the real boundary; NACLs are stateless, so egress stays open for
        return traffic on ephemeral ports.
        """
        deny = [
            aws.ec2.DefaultNetworkAclIngressArgs(
                rule_no=10 + i,
                action="deny",
                protocol="tcp",
                cidr_block="0.0.0.0/0",
                from_port=port,
                to_port=port,
            )
            for i, port in enumerate(NACL_DENIED_ADMIN_PORTS)
        ]
        allow = aws.ec2.DefaultNetworkAclIngressArgs(
            rule_no=100,
            action="allow",
            protocol="-1",
            cidr_block="0.0.0.0/0",
            from_port=0,
            to_port=0,
        )
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-acl",
            default_network_acl_id=self.vpc.default_network_acl_id,
            subnet_ids=list(subnet_ids),
            ingress=[*deny, allow],
            egress=[
                aws.ec2.DefaultNetworkAclEgressArgs(
                    rule_no=100,
                    action="allow",
                    protocol="-1",
                    cidr_block="0.0.0.0/0",
                    from_port=0,
                    to_port=0,
                )
            ],
            tags={"Name": f"{name}-default-acl"},
            opts=child,
        )

    def _flow_logs(
        self, name: str, args: NetworkArgs, child: pulumi.ResourceOptions
    ) -> aws.cloudwatch.LogGroup:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=args.flow_log_group_name,
            kms_key_id=args.flow_logs_kms_key_arn,
            retention_in_days=args.flow_logs_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            name=f"{args.name_prefix}-flow-logs",
            description="VPC flow logs delivery to CloudWatch Logs",
            assume_role_policy=docs.service_trust(
                "vpc-flow-logs.amazonaws.com",
                account_id=args.account_id,
                source_arn=f"arn:{partition(args.region)}:ec2:{args.region}:{args.account_id}:vpc-flow-log/*",
            ),
            permissions_boundary=args.permissions_boundary_arn,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: docs.to_json(
                    docs.document(
                        docs.allow(
                            [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            [arn, f"{arn}:*"],
                            sid="WriteFlowLogs",
                        )
                    )
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-logs"},
            opts=child,
        )
        return log_group


def _discovery_tags(tier: Tier, cluster_name: str) -> dict[str, str]:
    """Tags the AWS Load Balancer Controller and Karpenter select subnets by."""
    if tier == "public":
        return {"kubernetes.io/role/elb": "1"}
    if tier == "private":
        return {"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster_name}
    return {}
