from collections.abc import Mapping

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ADMIN_PORTS = (22, 3389)


def _covers(entry: Props, port: int) -> bool:
    protocol = str(entry.get("protocol")).lower()
    if facts.all_protocols(protocol):
        return True
    low, high = facts.number(entry.get("fromPort")), facts.number(entry.get("toPort"))
    return protocol in ("6", "tcp") and low <= port <= high


def _source(entry: Props) -> str:
    return str(entry.get("cidrBlock") or entry.get("ipv6CidrBlock") or "")


@resource_rule(
    name="aws-ec2-nacl-no-admin-ports-open",
    control="NET-04",
    types=[
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/networkAclRule:NetworkAclRule",
    ],
    description="Network ACLs do not admit the internet to SSH or RDP (evaluated in rule order).",
    severity="high",
    remediation="Add lower-numbered deny entries for 22 and 3389 from 0.0.0.0/0 and ::/0.",
    config_schema={"ownRanges": facts.OWN_RANGES},
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:ec2/networkAclRule:NetworkAclRule":
        if props.get("egress"):
            return
        entries = [{**props, "action": props.get("ruleAction"), "ruleNo": props.get("ruleNumber")}]
    else:
        entries = list(facts.as_list(props.get("ingress")))
    ordered = sorted(
        (e for e in entries if isinstance(e, Mapping)), key=lambda e: facts.number(e.get("ruleNo"))
    )
    for port in ADMIN_PORTS:
        # NACLs stop at the first matching entry, lowest number first: an allow from outside the
        # environment's ranges counts unless an earlier deny covers all of its source.
        for index, entry in enumerate(ordered):
            source = _source(entry)
            if str(entry.get("action")).lower() != "allow" or not _covers(entry, port):
                continue
            if not facts.public_sources([source], ctx.config["ownRanges"]):
                continue
            denied = any(
                str(e.get("action")).lower() == "deny"
                and _covers(e, port)
                and facts.covers(_source(e), source)
                for e in ordered[:index]
            )
            if not denied:
                yield f"entry {entry.get('ruleNo')} admits {source} to port {port}"


RULE = check
