"""Karpenter: the controller (Pod Identity, the upstream reference policy scoped to this cluster),
its interruption queue and EventBridge rules, the node role that Karpenter's nodes carry, and the
pinned chart, running on the system nodes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import aws_managed_policy, partition
from components.placement import NODE_CLASS_LABEL, SYSTEM_NODE_CLASS, SYSTEM_TOLERATION
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

CHART = "oci://public.ecr.aws/karpenter/karpenter"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
# The events Karpenter acts on before AWS reclaims a node (upstream's four rules).
INTERRUPTION_EVENTS = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}


def pool_spec(
    *,
    node_class: str,
    labels: Mapping[str, str],
    selector: Mapping[str, Any],
    capacity_types: Sequence[str],
    limits: Mapping[str, int],
    disruption: Mapping[str, str],
    taints: Sequence[Mapping[str, str]] = (),
) -> dict:
    """Every Karpenter NodePool: its node class, amd64 Linux nodes of the `selector`'s types,
    a hard resource ceiling, and nodes replaced at least monthly so patched AMIs reach them."""
    spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class},
        "requirements": [
            dict(selector),
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(capacity_types)},
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        ],
        "expireAfter": "720h",
    }
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    return {
        "template": {"metadata": {"labels": dict(labels)}, "spec": spec},
        "limits": dict(limits),
        "disruption": dict(disruption),
    }


def node_class_spec(
    *,
    cluster_name: str,
    role: str,
    key_arn: str,
    ami_alias: str,
    volume_size: str,
    user_data: str | None = None,
) -> dict:
    """Every Karpenter node, GPU or not: the pinned AMI, the node role, private subnets and the
    cluster security group by tag, IMDSv2 with one hop, and an encrypted gp3 root volume."""
    spec = {
        "amiSelectorTerms": [{"alias": ami_alias}],
        "role": role,
        "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
        "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": cluster_name}}],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "volumeSize": volume_size,
                    "volumeType": "gp3",
                    "encrypted": True,
                    "kmsKeyID": key_arn,
                    "deleteOnTermination": True,
                },
            }
        ],
    }
    if user_data is not None:
        spec["userData"] = user_data
    return spec


@component_args
class KarpenterArgs:
    cluster_name: str = arg("the EKS cluster Karpenter provisions for")
    name_prefix: str = arg("its roles, queue and rules are `<prefix>-karpenter-*`")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region")
    chart_version: str = arg("the pinned Karpenter chart version, from the catalog")
    storage_key_arn: pulumi.Input[str] = arg("KMS key the nodes' volumes are encrypted with")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def controller_statements(
    *,
    cluster_name: str,
    account_id: str,
    region: str,
    queue_arn: str,
    node_role_arn: str,
    storage_key_arn: str,
) -> list[dict]:
    """The upstream reference policy (Karpenter v1 CloudFormation), with the instance-profile
    actions narrowed from `*` to this account's instance profiles."""
    ec2 = f"arn:{partition(region)}:ec2:{region}"
    owned = {f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    owned_resource = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    profiles = f"arn:{partition(region)}:iam::{account_id}:instance-profile/*"
    in_region = {"aws:RequestTag/topology.kubernetes.io/region": region}
    resource_in_region = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    return [
        docs.allow(
            ["ec2:CreateFleet", "ec2:RunInstances"],
            [f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:spot-instances-request/*",
             f"{ec2}:*:security-group/*", f"{ec2}:*:subnet/*", f"{ec2}:*:launch-template/*"],
            sid="AllowScopedEC2InstanceActions",
        ),
        docs.allow(
            ["ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:RunInstances"],
            [f"{ec2}:*:fleet/*", f"{ec2}:*:instance/*", f"{ec2}:*:volume/*",
             f"{ec2}:*:network-interface/*", f"{ec2}:*:launch-template/*"],
            sid="AllowScopedEC2InstanceActionsWithTags",
            conditions={
                "StringEquals": owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        docs.allow(
            ["ec2:CreateTags"],
            [f"{ec2}:*:fleet/*", f"{ec2}:*:instance/*", f"{ec2}:*:volume/*",
             f"{ec2}:*:network-interface/*", f"{ec2}:*:launch-template/*"],
            sid="AllowScopedResourceCreationTagging",
            conditions={
                "StringEquals": {
                    **owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        docs.allow(
            ["ec2:CreateTags"],
            [f"{ec2}:*:instance/*"],
            sid="AllowScopedResourceTagging",
            conditions={
                "StringEquals": owned_resource,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["karpenter.sh/nodeclaim", "Name"]},
            },
        ),
        docs.allow(
            ["ec2:DeleteLaunchTemplate", "ec2:TerminateInstances"],
            [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            sid="AllowScopedDeletion",
            conditions={
                "StringEquals": owned_resource,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        ),
        # Describe* actions cannot be scoped to resources; confined to the region instead.
        docs.allow(
            ["ec2:DescribeAvailabilityZones", "ec2:DescribeImages", "ec2:DescribeInstances",
             "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
             "ec2:DescribeLaunchTemplates", "ec2:DescribeSecurityGroups",
             "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"],
            ["*"],
            sid="AllowRegionalReadActions",
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        ),
        docs.allow(
            ["ssm:GetParameter"],
            [f"arn:{partition(region)}:ssm:{region}::parameter/aws/service/*"],
            sid="AllowSSMReadActions",
        ),
        # The Price List API has no resources to scope to.
        docs.allow(["pricing:GetProducts"], ["*"], sid="AllowPricingReadActions"),
        docs.allow(
            ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
             "sqs:ReceiveMessage"],
            [queue_arn],
            sid="AllowInterruptionQueueActions",
        ),
        docs.allow(
            ["iam:PassRole"],
            [node_role_arn],
            sid="AllowPassingInstanceRole",
            conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        docs.allow(
            ["iam:CreateInstanceProfile"],
            [profiles],
            sid="AllowScopedInstanceProfileCreationActions",
            conditions={
                "StringEquals": {**owned, **in_region},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodeclass": "*"},
            },
        ),
        docs.allow(
            ["iam:TagInstanceProfile"],
            [profiles],
            sid="AllowScopedInstanceProfileTagActions",
            conditions={
                "StringEquals": {**owned_resource, **resource_in_region, **owned, **in_region},
                "StringLike": {
                    "aws:ResourceTag/karpenter.sh/nodeclass": "*",
                    "aws:RequestTag/karpenter.sh/nodeclass": "*",
                },
            },
        ),
        docs.allow(
            ["iam:AddRoleToInstanceProfile", "iam:DeleteInstanceProfile",
             "iam:RemoveRoleFromInstanceProfile"],
            [profiles],
            sid="AllowScopedInstanceProfileActions",
            conditions={
                "StringEquals": {**owned_resource, **resource_in_region},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodeclass": "*"},
            },
        ),
        docs.allow(["iam:GetInstanceProfile"], [profiles], sid="AllowInstanceProfileReadActions"),
        # Launching instances whose volumes use the environment's key (through EC2 only).
        docs.allow(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*",
             "kms:ReEncrypt*"],
            [storage_key_arn],
            sid="AllowVolumesWithTheStorageKey",
            conditions={"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}},
        ),
        docs.allow(
            ["kms:CreateGrant"],
            [storage_key_arn],
            sid="AllowGrantsForVolumes",
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        docs.allow(
            ["eks:DescribeCluster"],
            [f"arn:{partition(region)}:eks:{region}:{account_id}:cluster/{cluster_name}"],
            sid="AllowAPIServerEndpointDiscovery",
        ),
    ]  # fmt: skip


class Karpenter(pulumi.ComponentResource):
    """Controller role, interruption handling, node role, and the chart."""

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:karpenter:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name

        self.node_role = aws.iam.Role(
            f"{name}-node",
            name=f"{args.name_prefix}-karpenter-node",
            description=f"Karpenter nodes of {cluster}",
            assume_role_policy=docs.ec2_instance_trust(),
            permissions_boundary=args.permissions_boundary_arn,
            opts=child,
        )
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=aws_managed_policy(args.region, policy),
                opts=child,
            )
        aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=cluster,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )

        self.queue = aws.sqs.Queue(
            f"{name}-interruption",
            name=f"{args.name_prefix}-karpenter",
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruption",
            queue_url=self.queue.url,
            policy=self.queue.arn.apply(
                lambda arn: docs.to_json(
                    {
                        "Version": "2012-10-17",
                        "Id": "EC2InterruptionPolicy",
                        "Statement": [
                            docs.allow(
                                ["sqs:SendMessage"],
                                [arn],
                                sid="EventBridgeOfThisAccount",
                                principal={
                                    "Service": ["events.amazonaws.com", "sqs.amazonaws.com"]
                                },
                                conditions={"StringEquals": {"aws:SourceAccount": args.account_id}},
                            ),
                            docs.deny(
                                ["sqs:*"],
                                [arn],
                                sid="TlsOnly",
                                principal={"AWS": "*"},
                                conditions={"Bool": {"aws:SecureTransport": "false"}},
                            ),
                        ],
                    }
                )
            ),
            opts=child,
        )
        for rule, pattern in INTERRUPTION_EVENTS.items():
            event_rule = aws.cloudwatch.EventRule(
                f"{name}-{rule}",
                name=f"{args.name_prefix}-karpenter-{rule}",
                description=f"Karpenter {cluster}: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern, sort_keys=True),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule}",
                rule=event_rule.name,
                target_id="KarpenterInterruptionQueueTarget",
                arn=self.queue.arn,
                opts=child,
            )

        controller = WorkloadRole(
            f"{name}-controller",
            WorkloadRoleArgs(
                pod_identity=PodIdentity(
                    account_id=args.account_id,
                    cluster_name=cluster,
                    cluster_arn=f"arn:{partition(args.region)}:eks:{args.region}:{args.account_id}:cluster/{cluster}",
                    permissions_boundary_arn=args.permissions_boundary_arn,
                ),
                role_name=f"{args.name_prefix}-karpenter-controller",
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                statements=pulumi.Output.all(
                    self.queue.arn, self.node_role.arn, args.storage_key_arn
                ).apply(
                    lambda arns: controller_statements(
                        cluster_name=cluster,
                        account_id=args.account_id,
                        region=args.region,
                        queue_arn=arns[0],
                        node_role_arn=arns[1],
                        storage_key_arn=arns[2],
                    )
                ),
            ),
            opts=child,
        )
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            name="karpenter",
            chart=CHART,
            version=args.chart_version,
            namespace=NAMESPACE,
            values={
                "settings": {"clusterName": cluster, "interruptionQueue": f"{cluster}-karpenter"},
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "replicas": 2,
                # On the system nodes, never on nodes Karpenter itself manages.
                "nodeSelector": {NODE_CLASS_LABEL: SYSTEM_NODE_CLASS},
                "tolerations": [SYSTEM_TOLERATION],
                "controller": {
                    "resources": {
                        "requests": {"cpu": "500m", "memory": "512Mi"},
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    }
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.kubernetes_provider, depends_on=[controller]
            ),
        )
        self.node_role_name = self.node_role.name
        self.register_outputs(
            {
                "node_role_arn": self.node_role.arn,
                "queue_arn": self.queue.arn,
                "controller_role_arn": controller.role_arn,
            }
        )
