from policies import facts
from policies.framework import Ctx, Findings, NotApplicable, Props, resource_rule


@resource_rule(
    name="aws-rds-iam-auth-managed-password",
    control="RDS-05",
    types=facts.RDS_DATABASES,
    description="Databases use IAM authentication and a master password managed by Secrets "
    "Manager, never a literal.",
    severity="high",
    remediation="Set iam_database_authentication_enabled=True and manage_master_user_password="
    "True; drop `password`.",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == "aws:rds/clusterInstance:ClusterInstance":
        raise NotApplicable("authentication is the cluster's")
    if not facts.true(props.get("iamDatabaseAuthenticationEnabled")):
        yield "IAM database authentication is off"
    if "password" in props or "masterPassword" in props:
        yield "master password is set in the program (it lands in state); let RDS manage it"
    elif not facts.true(props.get("manageMasterUserPassword")):
        yield "manageMasterUserPassword is not true"


RULE = check
