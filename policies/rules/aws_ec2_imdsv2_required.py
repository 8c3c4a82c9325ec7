from policies.framework import Ctx, Findings, Props, resource_rule

TYPES = [
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/instance:Instance",
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
]


def metadata(props: Props, type_: str) -> Props:
    if type_ == "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults":
        return props
    return props.get("metadataOptions") or {}


@resource_rule(
    name="aws-ec2-imdsv2-required",
    control="EKS-09",
    types=TYPES,
    description="Instance metadata requires IMDSv2 session tokens.",
    severity="high",
    remediation="Set metadata_options.http_tokens='required'.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    options = metadata(props, ctx.type)
    if options.get("httpEndpoint") == "disabled":
        return
    tokens = options.get("httpTokens")
    if tokens != "required":
        yield f"httpTokens is {tokens or 'unset (optional)'}: IMDSv1 stays open to SSRF"


RULE = check
