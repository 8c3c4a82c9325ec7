from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# SSH, RDP, and services that should never face the internet (databases, caches, etcd, kubelet).
RISKY = [22, 3389, 2379, 3306, 5432, 6379, 9200, 10250, 11211, 27017]


@resource_rule(
    name="aws-ec2-security-group-no-risky-ports-open",
    control="NET-01",
    types=facts.SECURITY_GROUP_TYPES,
    description="No security group admits the internet to SSH, RDP or other high-risk ports.",
    severity="critical",
    remediation="Admit only the VPC, a security group, or named CIDRs; use SSM instead of SSH.",
    config_schema={
        "riskyPorts": {"type": "array", "items": {"type": "integer"}, "default": RISKY},
        "ownRanges": facts.OWN_RANGES,
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    for protocol, low, high, sources in facts.ingress_rules(ctx.type, props):
        world = facts.public_sources(sources, ctx.config["ownRanges"])
        if not world or facts.all_protocols(protocol):
            continue  # all-protocol openings are NET-02's finding
        # A TCP/UDP rule with ports -1..-1 or 0..65535 admits every port.
        ports = [p for p in ctx.config["riskyPorts"] if low <= p <= high or low == high == -1]
        if ports:
            yield f"{protocol} {low}-{high} open to {world} exposes ports {ports}"


RULE = check
