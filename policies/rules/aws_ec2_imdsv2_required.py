from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule

TYPES = [
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/instance:Instance",
    "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults",
    "aws:eks/nodeGroup:NodeGroup",
    facts.EC2_NODE_CLASS,
]
# What Karpenter applies to an EC2NodeClass that leaves metadataOptions out (karpenter.sh v1).
KARPENTER_METADATA_DEFAULTS = {
    "httpEndpoint": "enabled",
    "httpPutResponseHopLimit": 1,
    "httpTokens": "required",
}


def metadata(props: Props, type_: str) -> Props:
    """The instance metadata options each kind sets, as the service will apply them."""
    if type_ == "aws:ec2/instanceMetadataDefaults:InstanceMetadataDefaults":
        return props
    if type_ == facts.EC2_NODE_CLASS:
        given = (props.get("spec") or {}).get("metadataOptions") or {}
        return {**KARPENTER_METADATA_DEFAULTS, **given}
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        if props.get("launchTemplate"):
            raise NotApplicable("its launch template carries the metadata options")
        return {}  # EKS's own launch template: the AMI's defaults (hop limit 2)
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
