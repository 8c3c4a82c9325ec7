"""A role for one Kubernetes service account through EKS Pod Identity: one workload, one role,
scoped statements, the environment's boundary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.args import arg, component_args

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


@component_args
class PodIdentity:
    """Where workload roles live: the cluster whose Pod Identity agent alone may assume them, in
    this account, under the environment's boundary. `EksCluster.pod_identity` is the one."""

    account_id: str = arg("the environment's account (confused-deputy condition)")
    cluster_name: pulumi.Input[str] = arg("the EKS cluster the associations belong to")
    cluster_arn: pulumi.Input[str] = arg("the cluster's ARN: only its Pod Identity agent assumes")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")


@component_args
class WorkloadRoleArgs:
    pod_identity: PodIdentity = arg("the cluster, account and boundary of the role")
    role_name: str = arg("the role's name: `<cluster>-<purpose>`, inside the deploy role's scope")
    namespace: str = arg("Kubernetes namespace of the service account")
    service_account: str = arg("Kubernetes service account that receives the role")
    statements: pulumi.Input[Sequence[dict[str, Any]]] = arg(
        "what the workload may do: `policy_documents.allow(...)` statements, scoped (registry "
        "access is granted afterwards through `ModelRegistry.grant_*`)",
        default=(),
    )
    managed_policy_arns: Sequence[str] = arg(
        "AWS-managed policies where AWS maintains the workload's needs (CNI, EBS CSI)",
        default=(),
    )
    tags: Mapping[str, str] = arg(
        "tags of the role beyond the provider's defaults (a team's cost allocation tag)",
        default_factory=dict,
    )
    associate: bool = arg(
        "create the PodIdentityAssociation (false when an EKS add-on associates its own role)",
        default=True,
    )


def validate_workload_role_args(args: WorkloadRoleArgs) -> list[str]:
    problems: list[str] = []
    if not isinstance(args.statements, Sequence):
        return problems  # computed from other resources; the pack checks the result
    for statement in args.statements:
        actions = statement.get("Action") or []
        wild = [a for a in actions if a == "*" or str(a).endswith(":*")]
        if wild:
            problems.append(
                f"statements[{statement.get('Sid')}].Action: got {wild}; expected named actions"
            )
    return problems


class WorkloadRole(pulumi.ComponentResource):
    """Role + inline policy + Pod Identity association for one service account."""

    def __init__(
        self, name: str, args: WorkloadRoleArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mlplat:iam:WorkloadRole", name, None, opts)
        problems = validate_workload_role_args(args)
        if problems:
            raise ValueError(f"WorkloadRole {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.from_input(args.pod_identity.cluster_arn).apply(
            lambda cluster_arn: docs.to_json(
                docs.document(
                    {
                        "Sid": "PodIdentityOfThisCluster",
                        "Effect": "Allow",
                        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": args.pod_identity.account_id},
                            "ArnEquals": {"aws:SourceArn": cluster_arn},
                        },
                    }
                )
            )
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Pod Identity: {args.namespace}/{args.service_account}",
            assume_role_policy=trust,
            permissions_boundary=args.pod_identity.permissions_boundary_arn,
            tags=dict(args.tags) or None,
            opts=child,
        )
        statements = pulumi.Output.from_input(args.statements)
        if isinstance(args.statements, pulumi.Output) or args.statements:
            aws.iam.RolePolicy(
                f"{name}-policy",
                role=self.role.id,
                policy=statements.apply(lambda s: docs.to_json(docs.document(*s))),
                opts=child,
            )
        for policy_arn in args.managed_policy_arns:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy_arn.rsplit('/', 1)[-1]}",
                role=self.role.name,
                policy_arn=policy_arn,
                opts=child,
            )
        if args.associate:
            aws.eks.PodIdentityAssociation(
                f"{name}-association",
                cluster_name=args.pod_identity.cluster_name,
                namespace=args.namespace,
                service_account=args.service_account,
                role_arn=self.role.arn,
                opts=child,
            )
        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role_arn})
