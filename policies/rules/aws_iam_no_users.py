from policies.framework import Ctx, Findings, Props, resource_rule


@resource_rule(
    name="aws-iam-no-users",
    control="IAM-06",
    types=[
        "aws:iam/user:User",
        "aws:iam/accessKey:AccessKey",
        "aws:iam/userLoginProfile:UserLoginProfile",
    ],
    description="The platform creates no IAM users, access keys or console logins.",
    severity="high",
    remediation="Use roles: SSO for people, OIDC or Pod Identity for machines.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    kind = ctx.type.rsplit(":", 1)[1]
    yield f"{kind} {ctx.name!r} creates long-lived IAM user credentials"


RULE = check
