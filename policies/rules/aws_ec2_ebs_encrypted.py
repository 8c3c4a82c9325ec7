from collections.abc import Mapping

from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ec2-ebs-encrypted",
    control="EKS-11",
    types=[
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ebs/volume:Volume",
        "aws:ebs/encryptionByDefault:EncryptionByDefault",
        "aws:ec2/instance:Instance",
        facts.EC2_NODE_CLASS,
    ],
    description="Every EBS volume is encrypted, node volumes with the environment's key.",
    severity="high",
    remediation="Set block_device_mappings[].ebs.encrypted='true' with kms_key_id; keep "
    "EncryptionByDefault enabled.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:ebs/encryptionByDefault:EncryptionByDefault":
        if facts.false(props.get("enabled")):
            yield "account default EBS encryption is off"
        return
    if ctx.type == "aws:ebs/volume:Volume":
        if not facts.true(props.get("encrypted")):
            yield "volume is not encrypted"
        return
    if ctx.type == "aws:ec2/instance:Instance":
        devices = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        devices += [
            (f"ebsBlockDevices[{i}]", d)
            for i, d in enumerate(facts.as_list(props.get("ebsBlockDevices")))
        ]
        for where, device in devices:
            if isinstance(device, Mapping) and not facts.true(device.get("encrypted")):
                yield f"{where} is not encrypted"
        return
    spec = props.get("spec") or {} if ctx.type == facts.EC2_NODE_CLASS else props
    for index, mapping in enumerate(facts.as_list(spec.get("blockDeviceMappings"))):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if not ebs:
            continue
        if not facts.true(ebs.get("encrypted")):
            yield f"blockDeviceMappings[{index}] ({mapping.get('deviceName')}) is not encrypted"
        elif not (ebs.get("kmsKeyId") or ebs.get("kmsKeyID")):
            yield f"blockDeviceMappings[{index}] uses the AWS-managed EBS key, not a customer key"


RULE = check
