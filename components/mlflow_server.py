"""The MLflow tracking server, written as plain Kubernetes objects so every field is checked
offline: its own namespace under Pod Security `restricted`, default-deny networking with only
what it needs, a ClusterIP service (never a public load balancer), and a Pod Identity role that
reaches its registry prefix and its database secret and nothing else.

No Kubernetes Secret holds the database password: the container reads the RDS-managed secret
through its own role at start and hands MLflow the connection string in its environment only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import policy_documents as docs
from components.args import arg, component_args
from components.namespaces import (
    default_deny,
    pod_security,
    ports,
    restricted_container,
    restricted_pod,
    to_cidr,
    workload_egress,
)
from components.placement import platform_affinity, platform_tolerations
from components.registry import ModelRegistry
from components.workload_role import PodIdentity, WorkloadRole, WorkloadRoleArgs

NAMESPACE = "mlflow"
SERVICE_ACCOUNT = "mlflow"
PORT = 5000
ARTIFACT_PREFIX = "mlflow/"
# Reads the RDS-managed secret, builds the store URI (TLS required), then becomes MLflow.
START = """\
import json, os, urllib.parse
import boto3

secret = json.loads(
    boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DB_SECRET_ARN"])[
        "SecretString"
    ]
)
user, password = (urllib.parse.quote(secret[k], safe="") for k in ("username", "password"))
os.environ["MLFLOW_BACKEND_STORE_URI"] = (
    f"postgresql+psycopg://{user}:{password}@{os.environ['DB_HOST']}:5432/mlflow?sslmode=require"
)
os.execvp("mlflow", ["mlflow", "server", "--host", "0.0.0.0", "--port", "__PORT__",
    "--artifacts-destination", os.environ["ARTIFACTS_DESTINATION"], "--serve-artifacts"])
""".replace("__PORT__", str(PORT))


@component_args
class MlflowServerArgs:
    image: str = arg("the MLflow `-full` image, pinned (it carries boto3 and psycopg)")
    replicas: int = arg("server replicas", default=2)
    pod_identity: PodIdentity = arg(
        "the cluster whose Pod Identity agent assumes its role, in this account, under the boundary"
    )
    region: str = arg("the environment's region")
    role_name: str = arg("`mlplat-<env>-mlflow-server`")
    database_host: pulumi.Input[str] = arg("the tracking database's address")
    database_secret_arn: pulumi.Input[str] = arg("the RDS-managed master secret")
    storage_key_arn: pulumi.Input[str] = arg("key of the secret (decrypt via Secrets Manager)")
    vpc_cidr: str = arg("the VPC range: the database and AWS endpoints live in it")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def secret_statements(secret_arn: str, key_arn: str, region: str) -> list[dict]:
    return [
        docs.allow(["secretsmanager:GetSecretValue"], [secret_arn], sid="ReadDatabaseSecret"),
        docs.allow(
            ["kms:Decrypt"],
            [key_arn],
            sid="DecryptSecretThroughSecretsManager",
            conditions={
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
            },
        ),
    ]


def network_policy_rules(vpc_cidr: str) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """Ingress: MLflow's port from any namespace of the cluster. Egress: PostgreSQL and AWS
    endpoints inside the VPC, plus what every workload needs."""
    net = k8s.networking.v1
    return net.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(),
        policy_types=["Ingress", "Egress"],
        ingress=[
            net.NetworkPolicyIngressRuleArgs(
                from_=[
                    net.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs())
                ],
                ports=ports(PORT),
            )
        ],
        egress=[to_cidr(vpc_cidr, 5432, 443), *workload_egress()],
    )


class MlflowServer(pulumi.ComponentResource):
    """Namespace, network policies, service account, role, config, Deployment, Service."""

    def __init__(
        self,
        name: str,
        args: MlflowServerArgs,
        registry: ModelRegistry,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("mlplat:mlflow:MlflowServer", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels=pod_security("restricted")),
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        default_deny(f"{name}-default-deny", NAMESPACE, in_namespace)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow-server", namespace=NAMESPACE),
            spec=network_policy_rules(args.vpc_cidr),
            opts=in_namespace,
        )
        k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=NAMESPACE),
            automount_service_account_token=False,
            opts=in_namespace,
        )
        self.workload = WorkloadRole(
            f"{name}-server",
            WorkloadRoleArgs(
                pod_identity=args.pod_identity,
                role_name=args.role_name,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                statements=pulumi.Output.all(args.database_secret_arn, args.storage_key_arn).apply(
                    lambda arns: secret_statements(arns[0], arns[1], args.region)
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        registry.grant_write(self.workload.role, ARTIFACT_PREFIX)
        k8s.core.v1.ConfigMap(
            f"{name}-start",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow-start", namespace=NAMESPACE),
            data={"start.py": START},
            opts=in_namespace,
        )
        labels = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/component": "tracking"}
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow", namespace=NAMESPACE),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=self._pod(args, registry),
                ),
            ),
            opts=in_namespace,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlflow", namespace=NAMESPACE),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=labels,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port=PORT)],
            ),
            opts=in_namespace,
        )
        self.url = f"http://mlflow.{NAMESPACE}.svc.cluster.local:{PORT}"
        self.register_outputs({"url": self.url})

    @staticmethod
    def _pod(args: MlflowServerArgs, registry: ModelRegistry) -> k8s.core.v1.PodSpecArgs:
        env: Sequence[k8s.core.v1.EnvVarArgs] = [
            k8s.core.v1.EnvVarArgs(name="DB_HOST", value=args.database_host),
            k8s.core.v1.EnvVarArgs(name="DB_SECRET_ARN", value=args.database_secret_arn),
            k8s.core.v1.EnvVarArgs(
                name="ARTIFACTS_DESTINATION",
                value=pulumi.Output.concat("s3://", registry.bucket_name, "/", ARTIFACT_PREFIX),
            ),
            k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=args.region),
            k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
        ]
        probe = k8s.core.v1.HTTPGetActionArgs(path="/health", port=PORT)
        return k8s.core.v1.PodSpecArgs(
            service_account_name=SERVICE_ACCOUNT,
            automount_service_account_token=False,
            security_context=restricted_pod(),
            tolerations=platform_tolerations(),
            affinity=platform_affinity(),
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="mlflow",
                    image=args.image,
                    # A tag can be re-pushed: pull each start, so the registry's copy is what runs.
                    image_pull_policy="Always",
                    command=["python", "/opt/mlplat/start.py"],
                    env=env,
                    ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT)],
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": "250m", "memory": "512Mi"},
                        limits={"cpu": "1", "memory": "2Gi"},
                    ),
                    security_context=restricted_container(10001),
                    readiness_probe=k8s.core.v1.ProbeArgs(http_get=probe, period_seconds=10),
                    liveness_probe=k8s.core.v1.ProbeArgs(
                        http_get=probe, initial_delay_seconds=30, period_seconds=20
                    ),
                    volume_mounts=[
                        k8s.core.v1.VolumeMountArgs(
                            name="start", mount_path="/opt/mlplat", read_only=True
                        ),
                        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                    ],
                )
            ],
            volumes=[
                k8s.core.v1.VolumeArgs(
                    name="start",
                    config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name="mlflow-start"),
                ),
                k8s.core.v1.VolumeArgs(
                    name="tmp",
                    empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi"),
                ),
            ],
        )
