from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-imdsv2-required",
    control="EKS-09",
    types=facts.IMDS_TYPES,
    description="Instance metadata requires IMDSv2 session tokens.",
    severity="high",
    remediation="Set metadata_options.http_tokens='required'.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    options = facts.instance_metadata(props, ctx.type)
    if options.get("httpEndpoint") == "disabled":
        return
    tokens = options.get("httpTokens")
    if tokens != "required":
        yield f"httpTokens is {tokens or 'unset (optional)'}: IMDSv1 stays open to SSRF"


RULE = check
