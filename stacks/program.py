"""The stack program: one environment in, the platform's resources out.

`pulumi up -s <env>` runs it through `stacks/__main__.py`; `mlplat synth <env>` runs the very same
function under the SDK's mock monitor. `build` is the table of contents: each phase takes the spec
and the earlier phases' typed bundles and returns its own; values pass from the spec to a
component's Args by name, so mypy sees every hand-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.alert_rules import InferenceSlo
from components.arns import partition
from components.audit import Audit, AuditArgs
from components.baseline import AccountBaseline, AccountBaselineArgs
from components.bucket import ObjectLock, SecureBucket, SecureBucketArgs
from components.catalog import (
    ADDON_VERSIONS,
    AMI_ALIAS,
    DCGM_EXPORTER_IMAGE_TAG,
    DCGM_EXPORTER_VERSION,
    EFA_DEVICE_PLUGIN_VERSION,
    FLUENT_BIT_CHART_VERSION,
    KARPENTER_VERSION,
    KUBE_PROMETHEUS_STACK_VERSION,
    KUBEFLOW_VERSION,
    KUEUE_VERSION,
    MLFLOW_IMAGE,
    NVIDIA_DEVICE_PLUGIN_VERSION,
    OAUTH2_PROXY_IMAGE,
    POSTGRES_VERSION,
    VLLM_IMAGE,
)
from components.container_logs import ContainerLogs, ContainerLogsArgs
from components.cpu_pool import CpuPool, CpuPoolArgs
from components.deploy_role import DeployRole, DeployRoleArgs, DeployScope
from components.eks import EksCluster, EksClusterArgs, SystemNodes
from components.finops import CostControls, CostControlsArgs, TeamBudget
from components.gpu_pools import GpuPool, GpuPools, GpuPoolsArgs
from components.iam import IamBaseline, IamBaselineArgs
from components.karpenter import Karpenter, KarpenterArgs
from components.kms import Kms, KmsArgs
from components.kubeflow import OVERLAID, Kubeflow, KubeflowArgs, Oidc
from components.kueue import Flavor, FlavorQuota, Kueue, KueueArgs, TeamQueue
from components.mlflow_server import MlflowServer, MlflowServerArgs
from components.network import Network, NetworkArgs
from components.notifications import Notifications, NotificationsArgs
from components.observability import Observability, ObservabilityArgs
from components.preview_role import PreviewRole, PreviewRoleArgs
from components.pricing import cheapest_gpu_hour, load_prices
from components.promotion import PromotionRole, PromotionRoleArgs
from components.registry import ModelRegistry, ModelRegistryArgs
from components.serving import ServedModel, Serving, ServingArgs
from components.teams import TEAM_SERVICE_ACCOUNT, Team, Teams, TeamsArgs, namespace_of
from components.tracking_database import TrackingDatabase, TrackingDatabaseArgs
from stacks.environment import (
    EnvironmentSpec,
    GpuPoolSpec,
    ServedModelSpec,
    SpecError,
    SystemNodesSpec,
    TeamSpec,
    load_environment,
    promotion_source,
    promotion_targets,
)
from stacks.overlays import from_working_directory, overlay_dir, stale


def main() -> None:
    try:
        spec = load_environment(pulumi.get_stack())
        source, targets = promotion_source(spec), promotion_targets(spec)
    except SpecError as err:
        # RunError prints the message alone, without a Python traceback.
        raise pulumi.RunError(str(err)) from None
    if problem := stale(spec):
        raise pulumi.RunError(problem)
    build(spec, source=source, targets=targets)


def aws_provider(spec: EnvironmentSpec) -> aws.Provider:
    """The only AWS provider: pinned to the environment's account and region, tagging everything.

    `allowed_account_ids` makes the provider refuse credentials of any other account (ENV-06);
    default tags reach every taggable resource as `tagsAll` (ENV-05).
    """
    return aws.Provider(
        f"aws-{spec.name}",
        region=spec.region,
        allowed_account_ids=[spec.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={**spec.tags, "managed-by": "pulumi", "mlplat.io/stack": spec.name}
        ),
    )


def autoscaling_role_arn(spec: EnvironmentSpec) -> str:
    """The Auto Scaling service-linked role's ARN: fixed by AWS, known before it exists."""
    return (
        f"arn:{partition(spec.region)}:iam::{spec.account_id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )


@dataclass(frozen=True)
class Setting:
    """What every phase needs besides its inputs: the spec, its promotion neighbours and the
    AWS resource options (`stateful`: protected where the environment says so)."""

    spec: EnvironmentSpec
    source: EnvironmentSpec | None  # where this environment promotes models from
    promotion_readers: list[str]  # the promotion roles of the environments that promote from it
    on_aws: pulumi.ResourceOptions
    stateful: pulumi.ResourceOptions


@dataclass(frozen=True)
class Foundation:
    baseline: AccountBaseline
    iam: IamBaseline
    deploy: DeployRole
    preview: PreviewRole
    kms: Kms
    network: Network


@dataclass(frozen=True)
class Cluster:
    eks: EksCluster
    karpenter: Karpenter
    gpu_pools: GpuPools


@dataclass(frozen=True)
class Data:
    notifications: Notifications
    access_logs: SecureBucket
    registry: ModelRegistry
    audit: Audit
    costs: CostControls
    tracking_database: TrackingDatabase


@dataclass(frozen=True)
class PlatformServices:
    mlflow: MlflowServer
    kubeflow: Kubeflow


@dataclass(frozen=True)
class Workloads:
    teams: Teams
    queues: Kueue
    serving: Serving


def build(
    spec: EnvironmentSpec,
    *,
    source: EnvironmentSpec | None = None,
    targets: Sequence[EnvironmentSpec] = (),
) -> None:
    """`source`: where this environment promotes models from; `targets`: who promotes from it."""
    on_aws = pulumi.ResourceOptions(providers=[aws_provider(spec)])
    # Pulumi's `protect` is inherited by children: every key and alias is protected where the
    # environment says so (staging and prod).
    stateful = pulumi.ResourceOptions.merge(
        on_aws, pulumi.ResourceOptions(protect=spec.protection.stateful_resources)
    )
    readers = [target.promotion_role_arn for target in targets]
    setting = Setting(spec, source, readers, on_aws, stateful)
    base = foundation(setting)
    cluster = kubernetes_cluster(setting, base)
    data = data_services(setting, base, cluster)
    platform = platform_services(setting, base, cluster, data)
    workloads = teams_and_serving(setting, base, cluster, data, platform)
    observability(setting, base, cluster, data, platform)
    container_logs(setting, base, cluster)
    exports(spec, base, cluster, data, platform, workloads)


def foundation(setting: Setting) -> Foundation:
    """The account's baseline, the permission boundary, CI's roles, the keys and the network."""
    spec, on_aws = setting.spec, setting.on_aws
    baseline = AccountBaseline(spec.name, AccountBaselineArgs(), opts=on_aws)
    iam = IamBaseline(
        spec.name,
        IamBaselineArgs(
            name_prefix=spec.name_prefix,
            account_id=spec.account_id,
            region=spec.region,
            audit_principal_arns=spec.security.audit_principal_arns,
            organization_id=spec.security.organization_id,
            foreign_key_user_arns=[spec.promotion_role_arn] if setting.source else [],
        ),
        opts=on_aws,
    )
    deploy, preview = ci_roles(setting, iam)
    kms = Kms(
        spec.name,
        KmsArgs(
            environment=spec.name,
            alias_prefix=spec.names.key_alias_prefix,
            account_id=spec.account_id,
            region=spec.region,
            volume_service_role_arns=[autoscaling_role_arn(spec)],
            s3_reader_arns=setting.promotion_readers,
        ),
        opts=pulumi.ResourceOptions.merge(
            setting.stateful, pulumi.ResourceOptions(depends_on=[baseline.autoscaling_role])
        ),
    )
    network = Network(
        spec.name,
        NetworkArgs(
            account_id=spec.account_id,
            region=spec.region,
            cidr_block=spec.network.vpc_cidr,
            availability_zones=spec.availability_zones,
            subnet_prefix_lengths=spec.network.subnet_prefix_lengths.as_mapping(),
            nat=spec.network.nat,
            interface_endpoint_az_count=spec.network.interface_endpoint_az_count,
            cluster_name=spec.cluster_name,
            name_prefix=spec.name_prefix,
            flow_logs_kms_key_arn=kms.key_arns["logs"],
            flow_log_group_name=spec.names.flow_log_group,
            flow_logs_retention_days=spec.logs.retention_days,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=on_aws,
    )
    return Foundation(baseline, iam, deploy, preview, kms, network)


def ci_roles(setting: Setting, iam: IamBaseline) -> tuple[DeployRole, PreviewRole]:
    """The deploy role for merged code and the read-only preview role for pull requests."""
    spec = setting.spec
    scope = DeployScope(
        account_id=spec.account_id,
        region=spec.region,
        name_prefix=spec.name_prefix,
        cluster_name=spec.cluster_name,
        boundary_arn=iam.boundary_arn,
        state_bucket=spec.state_bucket,
    )
    # Losing it locks CI out: protected wherever stateful resources are.
    deploy = DeployRole(
        spec.name,
        DeployRoleArgs(
            scope=scope,
            role_name=spec.names.deploy_role,
            github_repository=spec.ci.github_repository,
            github_environment=spec.name,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=setting.stateful,
    )
    # Pull requests' previews read, never write: their code is not yet reviewed.
    preview = PreviewRole(
        spec.name,
        PreviewRoleArgs(
            scope=scope,
            role_name=spec.names.preview_role,
            github_repository=spec.ci.github_repository,
            github_environment=spec.name,
            oidc_provider_arn=deploy.oidc_provider_arn,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=setting.on_aws,
    )
    return deploy, preview


def kubernetes_cluster(setting: Setting, base: Foundation) -> Cluster:
    """EKS with its system nodes, Karpenter, and the CPU and GPU pools it scales."""
    spec, kms, boundary = setting.spec, base.kms, base.iam.boundary.arn
    eks = EksCluster(
        spec.name,
        EksClusterArgs(
            cluster_name=spec.cluster_name,
            name_prefix=spec.name_prefix,
            kubernetes_version=spec.cluster.kubernetes_version,
            account_id=spec.account_id,
            region=spec.region,
            control_plane_subnet_ids=base.network.intra_subnet_ids,
            node_subnet_ids=base.network.private_subnet_ids,
            secrets_key_arn=kms.key_arns["cluster"],
            storage_key_arn=kms.key_arns["storage"],
            logs_key_arn=kms.key_arns["logs"],
            log_retention_days=spec.logs.retention_days,
            admin_role_arns=spec.cluster.admin_role_arns,
            deploy_role_arn=base.deploy.role_arn,
            viewer_role_arns={"preview": base.preview.role_arn},
            addon_versions=ADDON_VERSIONS,
            system_nodes=system_nodes(spec.cluster.system_nodes),
            permissions_boundary_arn=boundary,
            protect=spec.protection.stateful_resources,
        ),
        opts=setting.on_aws,
    )
    karpenter = Karpenter(
        spec.name,
        KarpenterArgs(
            cluster_name=spec.cluster_name,
            name_prefix=spec.name_prefix,
            account_id=spec.account_id,
            region=spec.region,
            chart_version=KARPENTER_VERSION,
            storage_key_arn=kms.key_arns["storage"],
            permissions_boundary_arn=boundary,
            kubernetes_provider=eks.provider,
        ),
        opts=pulumi.ResourceOptions.merge(
            setting.on_aws, pulumi.ResourceOptions(depends_on=[eks.system_node_group])
        ),
    )
    # NodePool and EC2NodeClass are Karpenter's CRDs: the chart installs them first.
    after_karpenter = pulumi.ResourceOptions(depends_on=[karpenter.chart])
    CpuPool(
        spec.name,
        CpuPoolArgs(
            cluster_name=spec.cluster_name,
            node_role_name=karpenter.node_role.name,
            storage_key_arn=kms.key_arns["storage"],
            ami_alias=AMI_ALIAS,
            instance_families=spec.compute.instance_families,
            capacity_types=spec.compute.capacity_types,
            cpu_limit=spec.compute.cpu_limit,
            kubernetes_provider=eks.provider,
        ),
        opts=after_karpenter,
    )
    gpu_pools = GpuPools(
        spec.name,
        GpuPoolsArgs(
            cluster_name=spec.cluster_name,
            node_role_name=karpenter.node_role.name,
            storage_key_arn=kms.key_arns["storage"],
            ami_alias=AMI_ALIAS,
            device_plugin_version=NVIDIA_DEVICE_PLUGIN_VERSION,
            efa_plugin_version=EFA_DEVICE_PLUGIN_VERSION,
            pools=[gpu_pool(pool) for pool in spec.gpu.pools],
            kubernetes_provider=eks.provider,
        ),
        opts=after_karpenter,
    )
    return Cluster(eks, karpenter, gpu_pools)


def data_services(setting: Setting, base: Foundation, cluster: Cluster) -> Data:
    """The buckets (access logs, models, audit), the audit trail, budgets, promotion and
    MLflow's database: everything stateful, protected where the environment says so."""
    spec, stateful, kms, boundary = setting.spec, setting.stateful, base.kms, base.iam.boundary.arn
    notifications = alarm_topic(setting, base)
    access_logs = SecureBucket(
        f"{spec.name}-access-logs",
        SecureBucketArgs(
            bucket_name=spec.bucket_name("access-logs"),
            account_id=spec.account_id,
            data_class="access-logs",
            kms_key_arn=kms.key_arns["storage"],
            access_log_bucket=None,
            noncurrent_version_days=spec.logs.retention_days,
        ),
        opts=stateful,
    )
    lock = spec.registry.object_lock
    registry = ModelRegistry(
        spec.name,
        ModelRegistryArgs(
            bucket_name=spec.bucket_name("models"),
            account_id=spec.account_id,
            region=spec.region,
            storage_key_arn=kms.key_arns["storage"],
            access_log_bucket=access_logs.bucket_name,
            noncurrent_version_days=spec.registry.noncurrent_version_days,
            object_lock=ObjectLock(mode=lock.mode, days=lock.days) if lock else None,
            promotion_reader_arns=setting.promotion_readers,
        ),
        opts=stateful,
    )
    audit_lock = spec.audit.object_lock
    audit = Audit(
        spec.name,
        AuditArgs(
            name_prefix=spec.name_prefix,
            account_id=spec.account_id,
            region=spec.region,
            bucket_name=spec.bucket_name("audit-logs"),
            storage_key_arn=kms.key_arns["storage"],
            logs_key_arn=kms.key_arns["logs"],
            access_log_bucket=access_logs.bucket_name,
            object_lock=ObjectLock(mode=audit_lock.mode, days=audit_lock.days),
            archive_after_days=spec.audit.archive_after_days,
            retention_days=spec.audit.retention_days,
            log_retention_days=spec.logs.retention_days,
            data_event_bucket_arns=[registry.bucket_arn],
            topic_arn=notifications.topic_arn,
            permissions_boundary_arn=boundary,
        ),
        # Evidence and the controls that produce it (trail, bucket, detectors, alarms): protected
        # wherever stateful resources are, so deleting or replacing one takes an unprotect.
        opts=stateful,
    )
    costs = CostControls(
        spec.name,
        CostControlsArgs(
            name_prefix=spec.name_prefix,
            monthly_usd=spec.budgets.monthly_usd,
            teams=[TeamBudget(team=t.name, monthly_usd=t.monthly_budget_usd) for t in spec.teams],
            anomaly_threshold_usd=spec.budgets.anomaly_threshold_usd,
            topic_arn=notifications.topic_arn,
        ),
        opts=setting.on_aws,
    )
    if setting.source is not None:
        promotion_role(setting, base, setting.source, registry)
    database = tracking_database(setting, base, cluster)
    return Data(notifications, access_logs, registry, audit, costs, database)


def alarm_topic(setting: Setting, base: Foundation) -> Notifications:
    """The topic every alarm, budget and Alertmanager notifies. It lived in Audit up to 0.16:
    aliased, a deployed stack moves it (protected in staging and prod, it could not be
    replaced)."""
    spec = setting.spec
    return Notifications(
        spec.name,
        NotificationsArgs(
            topic_name=spec.names.alarm_topic,
            account_id=spec.account_id,
            key_arn=base.kms.key_arns["logs"],
            emails=spec.notifications.emails,
        ),
        opts=setting.stateful,
        moved_from=[pulumi.create_urn(spec.name, "mlplat:audit:Audit")],
    )


def promotion_role(
    setting: Setting, base: Foundation, source: EnvironmentSpec, registry: ModelRegistry
) -> PromotionRole:
    """CI's role that copies approved models from `source`'s registry into this one."""
    spec = setting.spec
    return PromotionRole(
        spec.name,
        PromotionRoleArgs(
            role_name=spec.promotion_role_name,
            oidc_provider_arn=base.deploy.oidc_provider.arn,
            github_repository=spec.ci.github_repository,
            github_environment=spec.name,
            source_bucket=source.bucket_name("models"),
            source_account_id=source.account_id,
            source_region=source.region,
            permissions_boundary_arn=base.iam.boundary.arn,
        ),
        registry,
        opts=setting.on_aws,
    )


def tracking_database(setting: Setting, base: Foundation, cluster: Cluster) -> TrackingDatabase:
    """MLflow's PostgreSQL, in the intra subnets, reachable from the cluster only."""
    spec, kms = setting.spec, base.kms
    database = spec.mlflow.database
    return TrackingDatabase(
        f"{spec.name}-mlflow",
        TrackingDatabaseArgs(
            identifier=spec.names.tracking_database,
            account_id=spec.account_id,
            region=spec.region,
            engine_version=POSTGRES_VERSION,
            instance_class=database.instance_class,
            allocated_storage_gb=database.allocated_storage_gb,
            backup_retention_days=database.backup_retention_days,
            multi_az=database.multi_az,
            vpc_id=base.network.vpc_id,
            subnet_ids=base.network.intra_subnet_ids,
            client_security_group_id=cluster.eks.cluster_security_group_id,
            storage_key_arn=kms.key_arns["storage"],
            logs_key_arn=kms.key_arns["logs"],
            log_retention_days=spec.logs.retention_days,
            permissions_boundary_arn=base.iam.boundary.arn,
            protect=spec.protection.stateful_resources,
        ),
        opts=setting.stateful,
    )


def platform_services(
    setting: Setting, base: Foundation, cluster: Cluster, data: Data
) -> PlatformServices:
    """MLflow's server and Kubeflow, stage by stage."""
    spec, eks = setting.spec, cluster.eks
    mlflow = MlflowServer(
        spec.name,
        MlflowServerArgs(
            image=MLFLOW_IMAGE,
            pod_identity=eks.pod_identity,
            region=spec.region,
            role_name=spec.names.role("mlflow-server"),
            database_host=data.tracking_database.endpoint,
            database_secret_arn=data.tracking_database.secret_arn,
            storage_key_arn=base.kms.key_arns["storage"],
            vpc_cidr=spec.network.vpc_cidr,
            kubernetes_provider=eks.provider,
        ),
        data.registry,
        opts=setting.on_aws,
    )
    oidc = spec.kubeflow.oidc
    kubeflow = Kubeflow(
        spec.name,
        KubeflowArgs(
            version=KUBEFLOW_VERSION,
            oidc=Oidc(
                issuer_url=oidc.issuer_url,
                client_id=oidc.client_id,
                email_domains=oidc.email_domains,
            ),
            overlays={
                component: from_working_directory(overlay_dir(spec.name, component))
                for component in OVERLAID
            },
            oauth2_proxy_image=OAUTH2_PROXY_IMAGE,
            kubernetes_provider=eks.provider,
        ),
        # Kubeflow's pods need the node pools' capacity and the system add-ons.
        opts=pulumi.ResourceOptions(depends_on=[cluster.karpenter.chart]),
    )
    return PlatformServices(mlflow, kubeflow)


def teams_and_serving(
    setting: Setting, base: Foundation, cluster: Cluster, data: Data, platform: PlatformServices
) -> Workloads:
    """The teams' namespaces, profiles and roles, and the models they serve."""
    spec, eks, installed = setting.spec, cluster.eks, platform.kubeflow.installed
    teams = {team.name: team_of(team) for team in spec.teams}
    tenancy = Teams(
        spec.name,
        TeamsArgs(
            teams=list(teams.values()),
            name_prefix=spec.name_prefix,
            pod_identity=eks.pod_identity,
            region=spec.region,
            kubernetes_provider=eks.provider,
        ),
        data.registry,
        # Profiles and Istio policies are Kubeflow's and Istio's kinds.
        opts=pulumi.ResourceOptions.merge(
            setting.on_aws, pulumi.ResourceOptions(depends_on=installed)
        ),
    )
    queues = gpu_queues(setting, cluster, platform, tenancy)
    serving = Serving(
        spec.name,
        ServingArgs(
            runtime_image=VLLM_IMAGE,
            registry_bucket=data.registry.bucket_name,
            models=[served_model(m, namespace_of(teams[m.team])) for m in spec.serving.models],
            kubernetes_provider=eks.provider,
        ),
        # KServe's kinds, in the teams' namespaces, once Kueue admits the pods there.
        opts=pulumi.ResourceOptions(depends_on=[*installed, tenancy, queues]),
    )
    return Workloads(tenancy, queues, serving)


def gpu_queues(
    setting: Setting, cluster: Cluster, platform: PlatformServices, tenancy: Teams
) -> Kueue:
    """Kueue: a flavor per GPU pool, a queue per team in the environment's cohort."""
    spec = setting.spec
    return Kueue(
        spec.name,
        KueueArgs(
            chart_version=KUEUE_VERSION,
            cohort=spec.names.gpu_cohort,
            flavors=[
                Flavor(
                    name=p.name,
                    workload=p.workload,
                    gpu_limit=p.gpu_limit,
                    capacity_types=p.capacity_types,
                )
                for p in spec.gpu.pools
            ],
            queues=[team_queue(team) for team in spec.teams],
            vpc_cidr=spec.network.vpc_cidr,
            kubernetes_provider=cluster.eks.provider,
        ),
        # Kubeflow's TrainJob and JobSet kinds, and the teams' namespaces for their queues.
        opts=pulumi.ResourceOptions(depends_on=[*platform.kubeflow.installed, tenancy]),
    )


def observability(
    setting: Setting, base: Foundation, cluster: Cluster, data: Data, platform: PlatformServices
) -> Observability:
    """Metrics, dashboards, alerts and container logs."""
    spec, eks, kms = setting.spec, cluster.eks, base.kms
    slo = spec.observability.inference_slo
    inference_families = {
        family
        for pool in spec.gpu.pools
        if pool.workload == "inference"
        for family in pool.instance_families or [t.split(".")[0] for t in pool.instance_types]
    }
    return Observability(
        spec.name,
        ObservabilityArgs(
            stack_version=KUBE_PROMETHEUS_STACK_VERSION,
            dcgm_version=DCGM_EXPORTER_VERSION,
            dcgm_image_tag=DCGM_EXPORTER_IMAGE_TAG,
            retention_days=spec.observability.prometheus_retention_days,
            storage_gi=spec.observability.prometheus_storage_gi,
            storage_class=eks.storage_class_name,
            slo=InferenceSlo(
                time_to_first_token_seconds=slo.time_to_first_token_seconds,
                objective=slo.objective,
            ),
            gpu_hour_usd=round(cheapest_gpu_hour(load_prices(spec.region), inference_families), 4),
            pod_identity=eks.pod_identity,
            region=spec.region,
            vpc_cidr=spec.network.vpc_cidr,
            role_name=spec.names.role("alertmanager"),
            topic_arn=data.notifications.topic_arn,
            topic_key_arn=kms.key_arns["logs"],
            kubernetes_provider=eks.provider,
            random_provider=random.Provider("random"),
        ),
        # DCGM joins the GPU agents' namespace; what the system nodes cannot hold needs Karpenter.
        # The operator's webhook certificate needs cert-manager (Kubeflow's foundation) serving.
        opts=pulumi.ResourceOptions.merge(
            setting.on_aws,
            pulumi.ResourceOptions(
                depends_on=[
                    cluster.gpu_pools,
                    cluster.karpenter.chart,
                    *platform.kubeflow.stages["foundation"],
                ]
            ),
        ),
    )


def container_logs(setting: Setting, base: Foundation, cluster: Cluster) -> ContainerLogs:
    """Every container's logs into one encrypted group. They lived in Observability up to 0.16:
    aliased, a deployed stack moves them."""
    spec, eks = setting.spec, cluster.eks
    return ContainerLogs(
        spec.name,
        ContainerLogsArgs(
            chart_version=FLUENT_BIT_CHART_VERSION,
            key_arn=base.kms.key_arns["logs"],
            retention_days=spec.logs.retention_days,
            role_name=spec.names.role("fluent-bit"),
            pod_identity=eks.pod_identity,
            region=spec.region,
            kubernetes_provider=eks.provider,
        ),
        opts=setting.on_aws,
        moved_from=[pulumi.create_urn(spec.name, "mlplat:observability:Observability")],
    )


def exports(
    spec: EnvironmentSpec,
    base: Foundation,
    cluster: Cluster,
    data: Data,
    platform: PlatformServices,
    workloads: Workloads,
) -> None:
    """The stack's outputs: what CI, the runbooks and `mlplat preflight` read."""
    for key, value in {
        "environment": spec.name,
        "account_id": spec.account_id,
        "region": spec.region,
        "vpc_id": base.network.vpc_id,
        "private_subnet_ids": base.network.private_subnet_ids,
        "intra_subnet_ids": base.network.intra_subnet_ids,
        "kms_key_arns": base.kms.key_arns,
        "permissions_boundary_arn": base.iam.boundary.arn,
        "audit_role_arn": base.iam.audit_role.arn,
        "deploy_role_arn": base.deploy.role_arn,
        "preview_role_arn": base.preview.role_arn,
        "cluster_name": cluster.eks.cluster_name,
        "cluster_arn": cluster.eks.cluster_arn,
        "karpenter_node_role_arn": cluster.karpenter.node_role.arn,
        "registry_bucket": data.registry.bucket_name,
        "access_log_bucket": data.access_logs.bucket_name,
        "mlflow_database_endpoint": data.tracking_database.endpoint,
        "mlflow_database_secret_arn": data.tracking_database.secret_arn,
        "mlflow_url": platform.mlflow.url,
        "kubeflow_version": KUBEFLOW_VERSION,
        "inference_endpoints": workloads.serving.endpoints,
        "audit_bucket": spec.bucket_name("audit-logs"),
        "trail_arn": data.audit.trail.arn,
        "alarm_topic_arn": data.notifications.topic_arn,
        # To activate in the organization's management account (a member account cannot).
        "cost_allocation_tags": data.costs.cost_allocation_tags,
    }.items():
        pulumi.export(key, value)


# --- From the spec to the components' Args: by name, so a renamed field is a type error --------


def system_nodes(nodes: SystemNodesSpec) -> SystemNodes:
    return SystemNodes(
        instance_types=nodes.instance_types,
        min_size=nodes.min_size,
        max_size=nodes.max_size,
        desired_size=nodes.desired_size,
        capacity_type=nodes.capacity_type,
    )


def gpu_pool(pool: GpuPoolSpec) -> GpuPool:
    """`spot_reason` stays in the spec: the policy pack reads it, the pool does not."""
    return GpuPool(
        name=pool.name,
        workload=pool.workload,
        instance_families=pool.instance_families,
        instance_types=pool.instance_types,
        capacity_types=pool.capacity_types,
        gpu_limit=pool.gpu_limit,
        labels=pool.labels,
        efa=pool.efa,
    )


def team_of(team: TeamSpec) -> Team:
    """The budget stays with CostControls."""
    return Team(
        name=team.name,
        owners=team.owners,
        gpu_quota=team.gpu_ceiling,
        cpu_quota=team.cpu_quota,
        memory_quota=team.memory_quota,
    )


def team_queue(team: TeamSpec) -> TeamQueue:
    return TeamQueue(
        team=team.name,
        namespace=namespace_of(team_of(team)),
        quotas={
            pool: FlavorQuota(
                nominal=gpus.nominal,
                borrowing_limit=gpus.borrowing_limit,
                lending_limit=gpus.lending_limit,
            )
            for pool, gpus in team.gpus.items()
        },
        weight=team.fair_share_weight,
    )


def served_model(model: ServedModelSpec, namespace: str) -> ServedModel:
    return ServedModel(
        name=model.name,
        namespace=namespace,
        service_account=TEAM_SERVICE_ACCOUNT,
        version=model.version,
        canary_traffic_percent=model.canary_traffic_percent,
        gpus=model.gpus,
        min_replicas=model.min_replicas,
        max_replicas=model.max_replicas,
    )
