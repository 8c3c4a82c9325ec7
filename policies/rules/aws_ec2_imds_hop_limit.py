from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-imds-hop-limit",
    control="EKS-10",
    types=facts.IMDS_TYPES,
    description="The metadata hop limit is 1, so pods cannot reach their node's credentials.",
    severity="high",
    remediation="Set metadata_options.http_put_response_hop_limit=1 (workloads use Pod Identity).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    options = facts.instance_metadata(props, ctx.type)
    if options.get("httpEndpoint") == "disabled":
        return
    limit = options.get("httpPutResponseHopLimit")
    if limit is None:
        yield "httpPutResponseHopLimit unset: the AMI's default (2 on EKS AMIs) applies"
    elif facts.number(limit) != 1:
        yield f"httpPutResponseHopLimit is {limit}: containers can fetch node credentials"


RULE = check
