from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy",)


@resource_rule(
    name="aws-eks-cluster-access-api",
    control="EKS-06",
    types=[facts.EKS_CLUSTER, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"],
    description="Cluster access uses access entries only (no aws-auth, no creator admin), and "
    "cluster-admin goes to the named break-glass roles only.",
    severity="high",
    remediation="Set access_config(authentication_mode='API', bootstrap_cluster_creator_admin_"
    "permissions=False); grant scoped access policies to named roles.",
    config_schema={
        "clusterAdminPrincipals": {"type": "array", "items": {"type": "string"}, "default": []}
    },
)
def check(props: Props, ctx: Ctx) -> Findings:
    if ctx.type == facts.EKS_CLUSTER:
        access = props.get("accessConfig") or {}
        mode = access.get("authenticationMode")
        if mode != "API":
            yield f"authenticationMode is {mode or 'unset (CONFIG_MAP)'}, not API"
        if not facts.false(access.get("bootstrapClusterCreatorAdminPermissions")):
            yield "the cluster creator is bootstrapped as cluster-admin"
        return
    policy = str(props.get("policyArn") or "").rsplit("/", 1)[-1]
    principal = props.get("principalArn")
    scope = (props.get("accessScope") or {}).get("type")
    if policy in ADMIN_POLICIES and principal not in ctx.config["clusterAdminPrincipals"]:
        yield f"{policy} ({scope} scope) granted to {principal}, not a break-glass admin"


RULE = check
