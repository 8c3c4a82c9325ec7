from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-transit-gateway-no-auto-accept",
    control="NET-08",
    types=["aws:ec2transitgateway/transitGateway:TransitGateway"],
    description="Transit gateways never accept shared attachments automatically.",
    severity="high",
    remediation="Set auto_accept_shared_attachments='disable' and accept attachments explicitly.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if props.get("autoAcceptSharedAttachments") == "enable":
        yield "autoAcceptSharedAttachments is 'enable': any account sharing it can attach"


RULE = check
