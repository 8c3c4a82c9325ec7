"""A hardened EKS cluster built from pulumi-aws resources, so every child is visible to the tests
and the policies: private API, envelope-encrypted Secrets, all control-plane logs, access entries
only, pinned managed add-ons (network policy on), the system node group that the add-ons,
Karpenter and the platform's services share, and the Kubernetes provider every Kubernetes
resource of the platform uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import arn_problems, aws_managed_policy, key_problems, partition
from components.placement import NODE_CLASS_LABEL, SYSTEM_NODE_CLASS, SYSTEM_TAINT_KEY
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# EKS access policies (`arn:<partition>:eks::aws:cluster-access-policy/<name>`).
CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
CLUSTER_VIEW = "AmazonEKSViewPolicy"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
# Add-ons that must run before any node joins (networking, identity), and those that need nodes.
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
AFTER_NODES = ("coredns", "aws-ebs-csi-driver")
# The default storage class: gp3, encrypted with the environment's storage key, retained.
STORAGE_CLASS = "gp3-encrypted"
# System nodes take only pods that tolerate this: coredns, the EBS CSI controller and Karpenter
# do by default, DaemonSets tolerate every taint, and the platform's services are placed there
# (components/placement.py).
SYSTEM_TAINT = {"key": SYSTEM_TAINT_KEY, "value": "true", "effect": "NO_SCHEDULE"}
CAPACITY_TYPES = {"on-demand": "ON_DEMAND", "spot": "SPOT"}
ADDON_CONFIGURATION = {"vpc-cni": {"enableNetworkPolicy": "true"}}


@component_args
class SystemNodes:
    instance_types: Sequence[str]
    min_size: int
    max_size: int
    desired_size: int
    # `spot` only where the platform may be interrupted (dev); rule eks-system-nodes-on-demand.
    capacity_type: str = "on-demand"


@component_args
class EksClusterArgs:
    cluster_name: str = arg("the cluster's name (subnet and Karpenter discovery tags use it)")
    name_prefix: str = arg("its IAM roles are `<prefix>-<purpose>`: the deploy role's scope")
    kubernetes_version: str = arg("a version in EKS standard support, from the catalog")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region")
    control_plane_subnet_ids: Sequence[pulumi.Input[str]] = arg("intra subnets: API server ENIs")
    node_subnet_ids: Sequence[pulumi.Input[str]] = arg("private subnets: system nodes")
    secrets_key_arn: pulumi.Input[str] = arg("KMS key for Secrets envelope encryption")
    storage_key_arn: pulumi.Input[str] = arg("KMS key for node and persistent volumes")
    logs_key_arn: pulumi.Input[str] = arg("KMS key of the control-plane log group")
    log_retention_days: int = arg("control-plane log retention (CW-01: 365 days)", default=365)
    admin_role_arns: Sequence[str] = arg("platform admins' roles, granted cluster-admin")
    deploy_role_arn: pulumi.Input[str] = arg(
        "the CI deploy role, granted cluster-admin: it installs charts, CRDs and RBAC"
    )
    viewer_role_arns: Mapping[str, pulumi.Input[str]] = arg(
        "key -> roles granted AmazonEKSViewPolicy (reads, never Secrets): the CI preview role",
        default_factory=dict,
    )
    addon_versions: Mapping[str, str] = arg("EKS add-on name -> pinned version, from the catalog")
    system_nodes: SystemNodes = arg(
        "the node group for add-ons, Karpenter and the platform's services"
    )
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")
    protect: bool = arg(
        "protect the cluster itself from deletion: Pulumi `protect` and EKS deletion protection",
        default=True,
    )
    cluster_role_arn: str | None = arg(
        "bring your own cluster role (it carries AmazonEKSClusterPolicy): a role of this account "
        "named `<prefix>-*`, the only roles the deploy role may pass; none creates "
        "`<prefix>-cluster`",
        default=None,
    )


def validate_eks_args(args: EksClusterArgs) -> list[str]:
    problems = []
    missing = sorted(set(BEFORE_NODES + AFTER_NODES) - set(args.addon_versions))
    if missing:
        problems.append(f"addon_versions: missing {missing}")
    nodes = args.system_nodes
    if not 1 <= nodes.min_size <= nodes.desired_size <= nodes.max_size:
        problems.append(
            f"system_nodes: got min {nodes.min_size}, desired {nodes.desired_size}, max "
            f"{nodes.max_size}; expected 1 <= min <= desired <= max"
        )
    if nodes.capacity_type not in CAPACITY_TYPES:
        problems.append(
            f"system_nodes.capacity_type: got {nodes.capacity_type!r}; expected one of "
            f"{sorted(CAPACITY_TYPES)}"
        )
    if not args.admin_role_arns:
        problems.append("admin_role_arns: got []; expected at least one administrator role")
    for field in ("secrets_key_arn", "storage_key_arn", "logs_key_arn"):
        problems += key_problems(
            field, getattr(args, field), region=args.region, account_id=args.account_id
        )
    if args.cluster_role_arn is not None:
        problems += arn_problems(
            "cluster_role_arn",
            args.cluster_role_arn,
            service="iam",
            region=args.region,
            account_id=args.account_id,
            resource=rf"role/{re.escape(args.name_prefix)}-[\w+=,.@-]+",
        )
    return problems


class EksCluster(pulumi.ComponentResource):
    """Cluster, control-plane logs, access entries, pinned add-ons, system nodes, provider."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:eks:EksCluster", name, None, opts)
        problems = validate_eks_args(args)
        if problems:
            raise ValueError(f"EksCluster {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(parent=self)
        # Created before the cluster, so EKS writes into an encrypted group with a retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        cluster_role_arn: pulumi.Input[str]
        if args.cluster_role_arn is None:
            cluster_trust = docs.service_trust_of_account("eks.amazonaws.com", args.account_id)
            cluster_role_arn = self._role(
                name, "cluster", cluster_trust, args, ["AmazonEKSClusterPolicy"]
            ).arn
        else:
            cluster_role_arn = args.cluster_role_arn
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role_arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.control_plane_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
            ),
            enabled_cluster_log_types=LOG_TYPES,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            # The add-ons are EKS-managed and pinned below; nothing self-managed is installed.
            bootstrap_self_managed_addons=False,
            deletion_protection=args.protect,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group], protect=args.protect),
        )

        admins: dict[str, pulumi.Input[str]] = {
            arn.rsplit("/", 1)[-1]: arn for arn in args.admin_role_arns
        }
        admins["deploy"] = args.deploy_role_arn
        grants = [("admin", key, arn, CLUSTER_ADMIN) for key, arn in admins.items()]
        grants += [("view", key, arn, CLUSTER_VIEW) for key, arn in args.viewer_role_arns.items()]
        access_policies = f"arn:{partition(args.region)}:eks::aws:cluster-access-policy"
        for kind, key, principal, policy in grants:
            entry = aws.eks.AccessEntry(
                f"{name}-{kind}-{key}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-{kind}-{key}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                policy_arn=f"{access_policies}/{policy}",
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        before = [self._addon(name, addon, args, []) for addon in BEFORE_NODES]
        # Only what a node needs; workloads get their own roles through Pod Identity.
        self.node_role = self._role(name, "node", docs.ec2_instance_trust(), args, NODE_POLICIES)
        self.system_node_group = self._system_nodes(name, args, before)
        for addon in AFTER_NODES:
            self._addon(name, addon, args, [self.system_node_group])

        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(
                self.cluster.endpoint, self.cluster.certificate_authority.data, self.cluster.name
            ).apply(lambda parts: kubeconfig(*parts, region=args.region)),
            enable_server_side_apply=True,
            opts=child,
        )
        k8s.storage.v1.StorageClass(
            f"{name}-gp3-encrypted",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters=pulumi.Output.from_input(args.storage_key_arn).apply(
                lambda key: {"type": "gp3", "encrypted": "true", "kmsKeyId": key}
            ),
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )

        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        # What every workload role of this cluster is assumed through.
        self.pod_identity = PodIdentity(
            account_id=args.account_id,
            cluster_name=self.cluster_name,
            cluster_arn=self.cluster_arn,
            permissions_boundary_arn=args.permissions_boundary_arn,
        )
        self.storage_class_name = STORAGE_CLASS
        # EKS's own group on the control plane and every node: what in-VPC services admit.
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.cluster.endpoint,
                "node_role_arn": self.node_role.arn,
            }
        )

    def _role(
        self, name: str, label: str, trust: str, args: EksClusterArgs, managed: Sequence[str]
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-{label}",
            name=f"{args.name_prefix}-{label}",
            description=f"EKS {args.cluster_name}: {label}",
            assume_role_policy=trust,
            permissions_boundary=args.permissions_boundary_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy in managed:
            aws.iam.RolePolicyAttachment(
                f"{name}-{label}-{policy}",
                role=role.name,
                policy_arn=aws_managed_policy(args.region, policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _system_nodes(
        self, name: str, args: EksClusterArgs, after: Sequence[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        template = aws.ec2.LaunchTemplate(
            f"{name}-system",
            description=f"EKS {args.cluster_name}: system nodes",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        kms_key_id=args.storage_key_arn,
                        volume_type="gp3",
                        volume_size=50,
                        delete_on_termination="true",
                    ),
                )
            ],
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        nodes = args.system_nodes
        return aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=self.cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=list(args.node_subnet_ids),
            capacity_type=CAPACITY_TYPES[nodes.capacity_type],
            ami_type="AL2023_x86_64_STANDARD",
            instance_types=list(nodes.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=nodes.min_size, max_size=nodes.max_size, desired_size=nodes.desired_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={NODE_CLASS_LABEL: SYSTEM_NODE_CLASS},
            taints=[aws.eks.NodeGroupTaintArgs(**SYSTEM_TAINT)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

    def _addon(
        self,
        name: str,
        addon: str,
        args: EksClusterArgs,
        after: Sequence[pulumi.Resource],
    ) -> aws.eks.Addon:
        configuration = ADDON_CONFIGURATION.get(addon)
        associations = []
        if addon == "vpc-cni":
            associations = [self._addon_role(name, "vpc-cni", "aws-node", args, cni=True)]
        if addon == "aws-ebs-csi-driver":
            associations = [self._addon_role(name, "ebs-csi", "ebs-csi-controller-sa", args)]
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=self.cluster.name,
            addon_name=addon,
            addon_version=args.addon_versions[addon],
            configuration_values=json.dumps(configuration, sort_keys=True)
            if configuration
            else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.role_arn, service_account=sa)
                for role, sa in associations
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

    def _addon_role(
        self,
        name: str,
        label: str,
        service_account: str,
        args: EksClusterArgs,
        *,
        cni: bool = False,
    ) -> tuple[WorkloadRole, str]:
        """Pod Identity roles of the add-ons that call AWS; the association is the add-on's own."""
        eks = f"arn:{partition(args.region)}:eks:{args.region}:{args.account_id}"
        cluster_arn = f"{eks}:cluster/{args.cluster_name}"
        statements: pulumi.Input[Sequence[dict]]
        if cni:
            managed, statements = [aws_managed_policy(args.region, "AmazonEKS_CNI_Policy")], []
        else:
            managed = [aws_managed_policy(args.region, "service-role/AmazonEBSCSIDriverPolicy")]
            # Volumes encrypted with the environment's storage key.
            statements = pulumi.Output.from_input(args.storage_key_arn).apply(
                lambda key: [
                    docs.allow(
                        [
                            "kms:Decrypt",
                            "kms:DescribeKey",
                            "kms:Encrypt",
                            "kms:GenerateDataKey*",
                            "kms:ReEncrypt*",
                        ],
                        [key],
                        sid="UseStorageKey",
                    ),
                    docs.allow(
                        ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                        [key],
                        sid="GrantForVolumes",
                        conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    ),
                ]
            )
        role = WorkloadRole(
            f"{name}-{label}",
            WorkloadRoleArgs(
                # Named, not the cluster's outputs: these roles exist before the cluster does.
                pod_identity=PodIdentity(
                    account_id=args.account_id,
                    cluster_name=args.cluster_name,
                    cluster_arn=cluster_arn,
                    permissions_boundary_arn=args.permissions_boundary_arn,
                ),
                role_name=f"{args.name_prefix}-{label}",
                namespace="kube-system",
                service_account=service_account,
                statements=statements,
                managed_policy_arns=managed,
                associate=False,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role, service_account


def kubeconfig(endpoint: str, certificate_authority: str, cluster_name: str, *, region: str) -> str:
    """A kubeconfig that gets short-lived tokens from `aws eks get-token` (no static secret)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {
                        "server": endpoint,
                        "certificate-authority-data": certificate_authority,
                    },
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--region",
                                region,
                            ],
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )
