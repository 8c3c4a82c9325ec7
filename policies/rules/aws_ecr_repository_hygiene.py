from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-ecr-repository-hygiene",
    control="EKS-13",
    types=["aws:ecr/repository:Repository"],
    description="Image repositories scan on push, keep tags immutable and encrypt with KMS.",
    severity="medium",
    remediation="Set image_scanning_configuration.scan_on_push=True, image_tag_mutability="
    "'IMMUTABLE', encryption_configurations=[{encryption_type: 'KMS', kms_key: ...}].",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not facts.true((props.get("imageScanningConfiguration") or {}).get("scanOnPush")):
        yield "scanOnPush is off"
    mutability = props.get("imageTagMutability") or "MUTABLE"
    if mutability != "IMMUTABLE":
        yield f"imageTagMutability is {mutability}: tags can be moved"
    encryption = [
        e.get("encryptionType") for e in facts.as_list(props.get("encryptionConfigurations"))
    ]
    if "KMS" not in encryption:
        yield "images are not encrypted with KMS"


RULE = check
