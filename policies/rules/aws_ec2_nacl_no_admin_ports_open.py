from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ADMIN_PORTS = (22, 3389)


def _covers(entry: Props, port: int) -> bool:
    protocol = str(entry.get("protocol"))
    if facts.all_protocols(protocol):
        return True
    return protocol in ("6", "tcp") and int(entry.get("fromPort") or 0) <= port <= int(
        entry.get("toPort") or 0
    )


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
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:ec2/networkAclRule:NetworkAclRule":
        if props.get("egress"):
            return
        entries = [{**props, "action": props.get("ruleAction"), "ruleNo": props.get("ruleNumber")}]
    else:
        entries = list(facts.as_list(props.get("ingress")))
    ordered = sorted(entries, key=lambda e: int(e.get("ruleNo") or 0))
    for port in ADMIN_PORTS:
        for world in facts.OPEN_TO_WORLD:
            # NACLs stop at the first matching entry, lowest number first.
            first = next((e for e in ordered if _source(e) == world and _covers(e, port)), None)
            if first is not None and first.get("action") == "allow":
                yield f"entry {first.get('ruleNo')} admits {world} to port {port}"


RULE = check
