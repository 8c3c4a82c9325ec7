from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-security-group-no-all-protocols-open",
    control="NET-02",
    types=facts.SECURITY_GROUP_TYPES,
    description="No security group admits all protocols from the internet.",
    severity="critical",
    remediation="Admit specific protocols and ports from specific sources.",
    config_schema={"ownRanges": facts.OWN_RANGES},
)
def check(props: Props, ctx: Ctx) -> Findings:
    for protocol, _, _, sources in facts.ingress_rules(ctx.type, props):
        world = facts.public_sources(sources, ctx.config["ownRanges"])
        if world and facts.all_protocols(protocol):
            yield f"all protocols open to {world}"


RULE = check
