from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-ebs-encrypted",
    control="EKS-11",
    types=[
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ebs/volume:Volume",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
    ],
    description="Every EBS volume is encrypted, node volumes with the environment's key.",
    severity="high",
    remediation="Set block_device_mappings[].ebs.encrypted='true' with kms_key_id; keep "
    "EncryptionByDefault enabled.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:ebs/encryptionByDefault:EncryptionByDefault":
        if props.get("enabled") is False:
            yield "account default EBS encryption is off"
        return
    if ctx.type == "aws:ebs/volume:Volume":
        if props.get("encrypted") is not True:
            yield "volume is not encrypted"
        return
    for index, mapping in enumerate(facts.as_list(props.get("blockDeviceMappings"))):
        ebs = mapping.get("ebs")
        if not ebs:
            continue
        if str(ebs.get("encrypted")).lower() != "true":
            yield f"blockDeviceMappings[{index}] ({mapping.get('deviceName')}) is not encrypted"
        elif not ebs.get("kmsKeyId"):
            yield f"blockDeviceMappings[{index}] uses the AWS-managed EBS key, not a customer key"


RULE = check
