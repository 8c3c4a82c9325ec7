from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-eks-nodegroup-no-ssh",
    control="EKS-07",
    types=["aws:eks/nodeGroup:NodeGroup"],
    description="Node groups never open SSH to any source.",
    severity="high",
    remediation="Drop remote_access; use SSM Session Manager.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    remote = props.get("remoteAccess") or {}
    if remote.get("ec2SshKey") and not list(remote.get("sourceSecurityGroupIds") or []):
        yield "SSH key set with no source security groups: port 22 opens to 0.0.0.0/0"


RULE = check
