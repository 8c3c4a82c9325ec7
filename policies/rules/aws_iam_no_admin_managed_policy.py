from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

# AWS-managed policies are allowed by name, never by the absence of a bad one: these are the
# service-role policies EKS, its add-ons and RDS document, and InfoSec's read-only audit pair.
ALLOWED = [
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKSClusterPolicy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonSSMManagedInstanceCore",
    "SecurityAudit",
    "job-function/ViewOnlyAccess",
    "service-role/AmazonEBSCSIDriverPolicy",
    "service-role/AmazonRDSEnhancedMonitoringRole",
]


@resource_rule(
    name="aws-iam-no-admin-managed-policy",
    control="IAM-07",
    types=[
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/role:Role",
    ],
    description="Only allow-listed AWS-managed policies are attached; never an administrator "
    "or full-access one.",
    severity="critical",
    remediation="Attach a least-privilege policy written for the role, or add the AWS-managed "
    "policy to `allowedManagedPolicies` with a reason.",
    config_schema={
        "allowedManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": ALLOWED,
        }
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    arns = list(facts.as_list(props.get("managedPolicyArns")))
    if props.get("policyArn"):
        arns.append(props.get("policyArn"))
    allowed = set(ctx.config["allowedManagedPolicies"])
    for arn in arns:
        # Every partition's AWS-managed policies: arn:aws:, arn:aws-cn:, arn:aws-us-gov:.
        head, _, name = str(arn).partition(":iam::aws:policy/")
        if head.startswith("arn:aws") and name and name not in allowed:
            yield f"attaches the AWS-managed {name}, which is not on the allow-list"


RULE = check
