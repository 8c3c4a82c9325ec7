from policies.framework import Ctx, Findings, Props, resource_rule

BROAD = ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "AmazonS3FullAccess"]


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
    description="AWS-managed administrator and full-access policies are never attached.",
    severity="critical",
    remediation="Attach a least-privilege policy written for the role.",
    config_schema={
        "forbiddenManagedPolicies": {"type": "array", "items": {"type": "string"}, "default": BROAD}
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    arns = list(props.get("managedPolicyArns") or [])
    if props.get("policyArn"):
        arns.append(props.get("policyArn"))
    for arn in arns:
        name = str(arn).rsplit("/", 1)[-1]
        if (
            str(arn).startswith("arn:aws:iam::aws:policy/")
            and name in ctx.config["forbiddenManagedPolicies"]
        ):
            yield f"attaches the AWS-managed {name}"


RULE = check
