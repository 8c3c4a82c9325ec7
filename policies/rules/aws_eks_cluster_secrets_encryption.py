from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-cluster-secrets-encryption",
    control="EKS-03",
    types=[facts.EKS_CLUSTER],
    description="Kubernetes Secrets are envelope-encrypted with the environment's KMS key.",
    severity="high",
    remediation="Set encryption_config(resources=['secrets'], provider.key_arn=<cluster key>).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    configs = facts.as_list(props.get("encryptionConfig"))
    covered = [
        c
        for c in configs
        if "secrets" in list(c.get("resources") or []) and (c.get("provider") or {}).get("keyArn")
    ]
    if not covered:
        yield "no encryptionConfig with a KMS keyArn for `secrets`"


RULE = check
