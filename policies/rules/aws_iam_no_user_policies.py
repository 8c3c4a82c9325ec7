from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-no-user-policies",
    control="IAM-05",
    types=[
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
    description="Permissions are never attached to IAM users.",
    severity="medium",
    remediation="Grant permissions to roles assumed through SSO or OIDC.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:iam/policyAttachment:PolicyAttachment":
        users = list(props.get("users") or [])
        if users:
            yield f"policy attached to IAM users {users}"
        return
    yield f"policy attached to IAM user {props.get('user')!r}"


RULE = check
