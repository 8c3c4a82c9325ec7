"""Every container's stdout and stderr, one stream per container, into one CloudWatch log
group this component creates (encrypted, retained): AWS for Fluent Bit on every node ships them
through a Pod Identity role that may write that group only, and never creates groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import policy_documents as docs
from components.args import arg, component_args
from components.workload_role import WorkloadRole, WorkloadRoleArgs

FLUENT_BIT_REPO = "https://aws.github.io/eks-charts"
FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit"
# Where AWS installs its node agents: the log shipper reads every node's container logs.
NODE_AGENTS_NAMESPACE = "kube-system"


@component_args
class ContainerLogsArgs:
    chart_version: str = arg("aws-for-fluent-bit chart version (catalog)")
    key_arn: pulumi.Input[str] = arg("encrypts the log group")
    retention_days: int = arg("the log group's retention")
    role_name: str = arg("Fluent Bit's role: `mlplat-<env>-fluent-bit`")
    account_id: str = arg("the environment's account")
    region: str = arg("the environment's region (CloudWatch Logs)")
    cluster_name: pulumi.Input[str] = arg(
        "the EKS cluster: the group is `/aws/eks/<cluster>/containers`"
    )
    cluster_arn: pulumi.Input[str] = arg("the cluster's ARN: only its Pod Identity agent assumes")
    permissions_boundary_arn: pulumi.Input[str] = arg("the environment's permission boundary")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def log_shipping_statements(group_arn: str) -> list[dict]:
    return [
        docs.allow(
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [group_arn, f"{group_arn}:log-stream:*"],
            sid="ShipToTheContainerLogGroup",
        )
    ]


def fluent_bit_values(group: str, region: str) -> dict[str, Any]:
    return {
        "serviceAccount": {"create": True, "name": FLUENT_BIT_SERVICE_ACCOUNT},
        "cloudWatchLogs": {
            "enabled": True,
            "region": region,
            "logGroupName": group,
            # One group (this component's), never one per namespace created on the fly.
            "logGroupTemplate": "",
            "autoCreateGroup": False,
            # The chart writes `log_stream_prefix` only when it is set, and the output needs it
            # (or a stream name) as the fallback of the template: without one it does not start.
            "logStreamPrefix": "fluentbit-",
            "logStreamTemplate": "$kubernetes['namespace_name'].$kubernetes['pod_name']."
            "$kubernetes['container_name']",
        },
        # Every node, the GPU and system nodes' taints included.
        "tolerations": [{"operator": "Exists"}],
        "priorityClassName": "system-node-critical",
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
    }


class ContainerLogs(pulumi.ComponentResource):
    """The log group, Fluent Bit's role and the chart.

    `moved_from`: the component that held these before (Observability, up to 0.16), so a deployed
    stack moves them instead of replacing them."""

    def __init__(
        self,
        name: str,
        args: ContainerLogsArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: Sequence[pulumi.Input[str]] = (),
    ):
        super().__init__("mlplat:observability:ContainerLogs", name, None, opts)
        child = pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(parent=urn) for urn in moved_from]
        )
        group_name = pulumi.Output.concat("/aws/eks/", args.cluster_name, "/containers")
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-containers",
            name=group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.key_arn,
            opts=child,
        )
        self.role = WorkloadRole(
            f"{name}-fluent-bit",
            WorkloadRoleArgs(
                account_id=args.account_id,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                role_name=args.role_name,
                namespace=NODE_AGENTS_NAMESPACE,
                service_account=FLUENT_BIT_SERVICE_ACCOUNT,
                statements=self.log_group.arn.apply(log_shipping_statements),
                permissions_boundary_arn=args.permissions_boundary_arn,
            ),
            opts=child,
        )
        self.chart = k8s.helm.v4.Chart(
            f"{name}-fluent-bit",
            name="aws-for-fluent-bit",
            chart="aws-for-fluent-bit",
            version=args.chart_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=FLUENT_BIT_REPO),
            namespace=NODE_AGENTS_NAMESPACE,
            values=group_name.apply(lambda group: fluent_bit_values(group, args.region)),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    provider=args.kubernetes_provider, depends_on=[self.log_group, self.role]
                ),
            ),
        )
        self.register_outputs(
            {
                "log_group_name": self.log_group.name,
                "log_group_arn": self.log_group.arn,
                "role_arn": self.role.role_arn,
            }
        )
