"""Every container's stdout and stderr, one stream per container, into one CloudWatch log
group (encrypted, retained): AWS for Fluent Bit on every node ships them through a Pod Identity
role that may write that group only, and never creates groups. The component creates the group,
or uses one the platform team has already (`log_group_arn`): its encryption and retention are
then its owner's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import policy_documents as docs
from components.args import arg, component_args
from components.arns import arn_problems, key_problems
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

FLUENT_BIT_REPO = "https://aws.github.io/eks-charts"
FLUENT_BIT_SERVICE_ACCOUNT = "fluent-bit"
# Where AWS installs its node agents: the log shipper reads every node's container logs.
NODE_AGENTS_NAMESPACE = "kube-system"


@component_args
class ContainerLogsArgs:
    chart_version: str = arg("aws-for-fluent-bit chart version (catalog)")
    key_arn: pulumi.Input[str] | None = arg(
        "encrypts the log group it creates; required unless `log_group_arn` is given",
        default=None,
    )
    retention_days: int = arg("the retention of the log group it creates (CW-01)", default=365)
    log_group_arn: str | None = arg(
        "bring your own log group: `arn:<partition>:logs:<region>:<account>:log-group:<name>` "
        "of this environment; none is created",
        default=None,
    )
    role_name: str = arg("Fluent Bit's role: `mlplat-<env>-fluent-bit`")
    pod_identity: PodIdentity = arg(
        "the cluster whose Pod Identity agent assumes its role, in this account, under the boundary"
    )
    region: str = arg("the environment's region (CloudWatch Logs)")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def validate_container_logs_args(args: ContainerLogsArgs) -> list[str]:
    if args.log_group_arn is None:
        if args.key_arn is None:
            return ["key_arn: got None; expected the key of the log group it creates"]
        return key_problems(
            "key_arn", args.key_arn, region=args.region, account_id=args.pod_identity.account_id
        )
    problems = arn_problems(
        "log_group_arn",
        args.log_group_arn,
        service="logs",
        region=args.region,
        account_id=args.pod_identity.account_id,
        resource=r"log-group:[\w#/.-]{1,512}",
    )
    if args.key_arn is not None:
        problems.append(
            "key_arn: got a key with `log_group_arn`; expected none: an existing group keeps its "
            "owner's key"
        )
    return problems


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
        if problems := validate_container_logs_args(args):
            raise ValueError(f"ContainerLogs {name}: " + "; ".join(problems))
        child = pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(parent=urn) for urn in moved_from]
        )
        group_name: pulumi.Output[str]
        group_arn: pulumi.Output[str]
        created: list[pulumi.Resource] = []
        self.log_group: aws.cloudwatch.LogGroup | None = None
        if args.log_group_arn is None:
            group_name = pulumi.Output.concat(
                "/aws/eks/", args.pod_identity.cluster_name, "/containers"
            )
            self.log_group = aws.cloudwatch.LogGroup(
                f"{name}-containers",
                name=group_name,
                retention_in_days=args.retention_days,
                kms_key_id=args.key_arn,
                opts=child,
            )
            group_arn = self.log_group.arn
            created = [self.log_group]
        else:
            group_arn = pulumi.Output.from_input(args.log_group_arn)
            group_name = group_arn.apply(lambda arn: arn.split(":log-group:", 1)[1])
        self.role = WorkloadRole(
            f"{name}-fluent-bit",
            WorkloadRoleArgs(
                pod_identity=args.pod_identity,
                role_name=args.role_name,
                namespace=NODE_AGENTS_NAMESPACE,
                service_account=FLUENT_BIT_SERVICE_ACCOUNT,
                statements=group_arn.apply(log_shipping_statements),
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
                    provider=args.kubernetes_provider, depends_on=[*created, self.role]
                ),
            ),
        )
        self.register_outputs(
            {
                "log_group_name": group_name,
                "log_group_arn": group_arn,
                "role_arn": self.role.role_arn,
            }
        )
