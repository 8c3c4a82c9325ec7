from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

NODE_POLICIES = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKSWorkerNodeMinimalPolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
    "AmazonSSMManagedInstanceCore",
]
WORKLOAD_ACTIONS = [
    "s3:Put*",
    "s3:Delete*",
    "s3:GetObject*",
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "secretsmanager:GetSecretValue",
]


def is_node_role(role: Resource) -> bool:
    return any(
        "ec2.amazonaws.com" in facts.principals(s)
        for s in facts.statements(role.props.get("assumeRolePolicy"))
    )


@stack_rule(
    name="aws-iam-node-role-no-workload-permissions",
    types=[
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ],
    control="IAM-10",
    description="Node roles hold only what nodes need; workloads get their own roles through "
    "Pod Identity.",
    severity="high",
    remediation="Attach only the EKS worker, ECR read and CNI managed policies to node roles; "
    "grant workloads through aws.eks.PodIdentityAssociation roles.",
    config_schema={"nodePolicies": {"type": "array", "default": NODE_POLICIES}},
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    attachments = list(of_types(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    inline = list(of_types(resources, "aws:iam/rolePolicy:RolePolicy"))
    yield from each(
        of_types(resources, "aws:iam/role:Role"),
        lambda role: _role(attachments, inline, config, role),
    )


def _role(
    attachments: Sequence[Resource], inline: Sequence[Resource], config: Config, role: Resource
) -> Findings:
    if not is_node_role(role):
        return
    arns = [str(a) for a in facts.as_list(role.props.get("managedPolicyArns"))]
    arns += [str(a.props.get("policyArn")) for a in attachments if a.refers_to("role", role)]
    for arn in arns:
        if arn.rsplit("/", 1)[-1] not in config["nodePolicies"]:
            yield f"node role carries {arn.rsplit('/', 1)[-1]}"
    for policy in (p for p in inline if p.refers_to("role", role)):
        for statement in facts.statements(policy.props.get("policy")):
            hits = sorted(
                {
                    a
                    for a in facts.actions(statement)
                    for w in WORKLOAD_ACTIONS
                    if facts.action_matches(a, w)
                }
            )
            if facts.allows(statement) and hits:
                yield f"node role's inline policy grants workload actions {hits}"


RULE = check
