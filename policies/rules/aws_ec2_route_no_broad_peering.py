import ipaddress

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-route-no-broad-peering",
    control="NET-09",
    types=["aws:ec2/route:Route", "aws:ec2/routeTable:RouteTable"],
    description="Routes through a peering connection name the peer's range, never a broad one.",
    severity="medium",
    remediation="Route only the peer VPC's CIDR through the peering connection.",
    config_schema={"minPeeringPrefix": {"type": "integer", "default": 16}},
)
def check(props: Props, ctx: Ctx) -> Findings:
    routes = facts.as_list(props.get("routes")) if "routes" in props else [props]
    for route in routes:
        if not route.get("vpcPeeringConnectionId"):
            continue
        destination = str(route.get("destinationCidrBlock") or route.get("cidrBlock") or "")
        try:
            prefix = ipaddress.ip_network(destination, strict=False).prefixlen
        except ValueError:
            continue
        if prefix < ctx.config["minPeeringPrefix"]:
            yield (
                f"{destination} routed through peering connection; at most a /"
                + str(ctx.config["minPeeringPrefix"])
                + " allowed"
            )


RULE = check
