"""The stack program: one environment in, the platform's resources out.

`pulumi up -s <env>` runs it through `stacks/__main__.py`; `mlplat synth <env>` runs the very same
function under the SDK's mock monitor.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

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
    MLFLOW_IMAGE,
    NVIDIA_DEVICE_PLUGIN_VERSION,
    OAUTH2_PROXY_IMAGE,
    POSTGRES_VERSION,
    VLLM_IMAGE,
)
from components.cpu_pool import CpuPool, CpuPoolArgs
from components.deploy_role import DeployRole, DeployRoleArgs, DeployScope
from components.eks import EksCluster, EksClusterArgs, SystemNodes
from components.finops import CostControls, CostControlsArgs, TeamBudget
from components.gpu_pools import GpuPool, GpuPools, GpuPoolsArgs
from components.iam import IamBaseline, IamBaselineArgs
from components.karpenter import Karpenter, KarpenterArgs
from components.kms import Kms, KmsArgs
from components.kubeflow import OVERLAID, Kubeflow, KubeflowArgs, Oidc
from components.mlflow_server import MlflowServer, MlflowServerArgs
from components.network import Network, NetworkArgs
from components.observability import InferenceSlo, Observability, ObservabilityArgs
from components.preview_role import PreviewRole, PreviewRoleArgs
from components.pricing import cheapest_gpu_hour, load_prices
from components.promotion import PromotionRole, PromotionRoleArgs
from components.registry import ModelRegistry, ModelRegistryArgs
from components.serving import ServedModel, Serving, ServingArgs
from components.teams import TEAM_SERVICE_ACCOUNT, Team, Teams, TeamsArgs, namespace_of
from components.tracking_database import TrackingDatabase, TrackingDatabaseArgs
from stacks.environment import (
    EnvironmentSpec,
    SpecError,
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


def autoscaling_role_arn(account_id: str) -> str:
    """The Auto Scaling service-linked role's ARN: fixed by AWS, known before it exists."""
    return (
        f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )


def build(
    spec: EnvironmentSpec,
    *,
    source: EnvironmentSpec | None = None,
    targets: Sequence[EnvironmentSpec] = (),
) -> None:
    """`source`: where this environment promotes models from; `targets`: who promotes from it."""
    promotion_readers = [target.promotion_role_arn for target in targets]
    provider = aws_provider(spec)
    on_aws = pulumi.ResourceOptions(providers=[provider])
    # Pulumi's `protect` is inherited by children: every key and alias is protected where the
    # environment says so (staging and prod).
    stateful = pulumi.ResourceOptions.merge(
        on_aws, pulumi.ResourceOptions(protect=spec.protection.stateful_resources)
    )

    baseline = AccountBaseline(spec.name, AccountBaselineArgs(), opts=on_aws)
    iam = IamBaseline(
        spec.name,
        IamBaselineArgs(
            name_prefix=spec.name_prefix,
            account_id=spec.account_id,
            region=spec.region,
            audit_principal_arns=spec.security.audit_principal_arns,
            organization_id=spec.security.organization_id,
            foreign_key_user_arns=[spec.promotion_role_arn] if source else [],
        ),
        opts=on_aws,
    )
    # Losing it locks CI out: protected wherever stateful resources are.
    deploy_scope = DeployScope(
        account_id=spec.account_id,
        region=spec.region,
        name_prefix=spec.name_prefix,
        cluster_name=spec.cluster_name,
        boundary_arn=iam.boundary_arn,
        state_bucket=spec.state_bucket,
    )
    deploy = DeployRole(
        spec.name,
        DeployRoleArgs(
            scope=deploy_scope,
            github_repository=spec.ci.github_repository,
            github_environment=spec.name,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=stateful,
    )
    # Pull requests' previews read, never write: their code is not yet reviewed.
    preview = PreviewRole(
        spec.name,
        PreviewRoleArgs(
            scope=deploy_scope,
            github_repository=spec.ci.github_repository,
            github_environment=spec.name,
            oidc_provider_arn=deploy.oidc_provider_arn,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=on_aws,
    )
    kms = Kms(
        spec.name,
        KmsArgs(
            environment=spec.name,
            account_id=spec.account_id,
            region=spec.region,
            volume_service_role_arns=[autoscaling_role_arn(spec.account_id)],
            s3_reader_arns=promotion_readers,
        ),
        opts=pulumi.ResourceOptions.merge(
            stateful, pulumi.ResourceOptions(depends_on=[baseline.autoscaling_role])
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
            flow_logs_kms_key_arn=kms.key_arns["logs"],
            flow_logs_retention_days=spec.logs.retention_days,
            permissions_boundary_arn=iam.boundary.arn,
        ),
        opts=on_aws,
    )

    eks = EksCluster(
        spec.name,
        EksClusterArgs(
            cluster_name=spec.cluster_name,
            kubernetes_version=spec.cluster.kubernetes_version,
            account_id=spec.account_id,
            region=spec.region,
            control_plane_subnet_ids=network.intra_subnet_ids,
            node_subnet_ids=network.private_subnet_ids,
            secrets_key_arn=kms.key_arns["cluster"],
            storage_key_arn=kms.key_arns["storage"],
            logs_key_arn=kms.key_arns["logs"],
            log_retention_days=spec.logs.retention_days,
            admin_role_arns=spec.cluster.admin_role_arns,
            deploy_role_arn=deploy.role_arn,
            viewer_role_arns={"preview": preview.role_arn},
            addon_versions=ADDON_VERSIONS,
            system_nodes=SystemNodes(**spec.cluster.system_nodes.model_dump()),
            permissions_boundary_arn=iam.boundary.arn,
            protect=spec.protection.stateful_resources,
        ),
        opts=on_aws,
    )

    karpenter = Karpenter(
        spec.name,
        KarpenterArgs(
            cluster_name=spec.cluster_name,
            account_id=spec.account_id,
            region=spec.region,
            chart_version=KARPENTER_VERSION,
            storage_key_arn=kms.key_arns["storage"],
            permissions_boundary_arn=iam.boundary.arn,
            kubernetes_provider=eks.provider,
        ),
        opts=pulumi.ResourceOptions.merge(
            on_aws, pulumi.ResourceOptions(depends_on=[eks.system_node_group])
        ),
    )

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
        opts=pulumi.ResourceOptions(depends_on=[karpenter.chart]),
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
            pools=[GpuPool(**pool.model_dump(exclude={"spot_reason"})) for pool in spec.gpu.pools],
            kubernetes_provider=eks.provider,
        ),
        # NodePool and EC2NodeClass are Karpenter's CRDs: the chart installs them first.
        opts=pulumi.ResourceOptions(depends_on=[karpenter.chart]),
    )

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
            promotion_reader_arns=promotion_readers,
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
            alert_emails=spec.notifications.emails,
            permissions_boundary_arn=iam.boundary.arn,
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
            topic_arn=audit.topic_arn,
        ),
        opts=on_aws,
    )
    if source is not None:
        PromotionRole(
            spec.name,
            PromotionRoleArgs(
                role_name=spec.promotion_role_name,
                oidc_provider_arn=deploy.oidc_provider.arn,
                github_repository=spec.ci.github_repository,
                github_environment=spec.name,
                source_bucket=source.bucket_name("models"),
                source_account_id=source.account_id,
                source_region=source.region,
                permissions_boundary_arn=iam.boundary.arn,
            ),
            registry,
            opts=on_aws,
        )

    database = spec.mlflow.database
    tracking_database = TrackingDatabase(
        f"{spec.name}-mlflow",
        TrackingDatabaseArgs(
            identifier=f"{spec.name_prefix}-mlflow",
            account_id=spec.account_id,
            engine_version=POSTGRES_VERSION,
            instance_class=database.instance_class,
            allocated_storage_gb=database.allocated_storage_gb,
            backup_retention_days=database.backup_retention_days,
            multi_az=database.multi_az,
            vpc_id=network.vpc_id,
            subnet_ids=network.intra_subnet_ids,
            client_security_group_id=eks.cluster_security_group_id,
            storage_key_arn=kms.key_arns["storage"],
            logs_key_arn=kms.key_arns["logs"],
            log_retention_days=spec.logs.retention_days,
            permissions_boundary_arn=iam.boundary.arn,
            protect=spec.protection.stateful_resources,
        ),
        opts=stateful,
    )

    mlflow = MlflowServer(
        spec.name,
        MlflowServerArgs(
            image=MLFLOW_IMAGE,
            account_id=spec.account_id,
            region=spec.region,
            cluster_name=eks.cluster_name,
            cluster_arn=eks.cluster_arn,
            role_name=f"{spec.name_prefix}-mlflow-server",
            database_host=tracking_database.endpoint,
            database_secret_arn=tracking_database.secret_arn,
            storage_key_arn=kms.key_arns["storage"],
            vpc_cidr=spec.network.vpc_cidr,
            permissions_boundary_arn=iam.boundary.arn,
            kubernetes_provider=eks.provider,
        ),
        registry,
        opts=on_aws,
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
        opts=pulumi.ResourceOptions(depends_on=[karpenter.chart]),
    )
    teams = [Team(**team.model_dump(exclude={"monthly_budget_usd"})) for team in spec.teams]
    tenancy = Teams(
        spec.name,
        TeamsArgs(
            teams=teams,
            name_prefix=spec.name_prefix,
            account_id=spec.account_id,
            region=spec.region,
            cluster_name=eks.cluster_name,
            cluster_arn=eks.cluster_arn,
            permissions_boundary_arn=iam.boundary.arn,
            kubernetes_provider=eks.provider,
        ),
        registry,
        # Profiles and Istio policies are Kubeflow's and Istio's kinds.
        opts=pulumi.ResourceOptions.merge(
            on_aws, pulumi.ResourceOptions(depends_on=kubeflow.installed)
        ),
    )
    by_team = {team.name: team for team in teams}
    serving = Serving(
        spec.name,
        ServingArgs(
            runtime_image=VLLM_IMAGE,
            registry_bucket=registry.bucket_name,
            models=[
                ServedModel(
                    namespace=namespace_of(by_team[m.team]),
                    service_account=TEAM_SERVICE_ACCOUNT,
                    **m.model_dump(exclude={"team"}),
                )
                for m in spec.serving.models
            ],
            kubernetes_provider=eks.provider,
        ),
        # KServe's kinds, in the teams' namespaces.
        opts=pulumi.ResourceOptions(depends_on=[*kubeflow.installed, tenancy]),
    )

    slo = spec.observability.inference_slo
    inference_families = {
        family
        for pool in spec.gpu.pools
        if pool.workload == "inference"
        for family in pool.instance_families or [t.split(".")[0] for t in pool.instance_types]
    }
    Observability(
        spec.name,
        ObservabilityArgs(
            stack_version=KUBE_PROMETHEUS_STACK_VERSION,
            dcgm_version=DCGM_EXPORTER_VERSION,
            dcgm_image_tag=DCGM_EXPORTER_IMAGE_TAG,
            fluent_bit_version=FLUENT_BIT_CHART_VERSION,
            logs_key_arn=kms.key_arns["logs"],
            log_retention_days=spec.logs.retention_days,
            fluent_bit_role_name=f"{spec.name_prefix}-fluent-bit",
            retention_days=spec.observability.prometheus_retention_days,
            storage_gi=spec.observability.prometheus_storage_gi,
            storage_class=eks.storage_class_name,
            slo=InferenceSlo(
                time_to_first_token_seconds=slo.time_to_first_token_seconds,
                objective=slo.objective,
            ),
            gpu_hour_usd=round(cheapest_gpu_hour(load_prices(spec.region), inference_families), 4),
            account_id=spec.account_id,
            region=spec.region,
            cluster_name=eks.cluster_name,
            cluster_arn=eks.cluster_arn,
            vpc_cidr=spec.network.vpc_cidr,
            role_name=f"{spec.name_prefix}-alertmanager",
            topic_arn=audit.topic_arn,
            topic_key_arn=kms.key_arns["logs"],
            permissions_boundary_arn=iam.boundary.arn,
            kubernetes_provider=eks.provider,
            random_provider=random.Provider("random"),
        ),
        # DCGM joins the GPU agents' namespace; what the system nodes cannot hold needs Karpenter.
        # The operator's webhook certificate needs cert-manager (Kubeflow's foundation) serving.
        opts=pulumi.ResourceOptions.merge(
            on_aws,
            pulumi.ResourceOptions(
                depends_on=[gpu_pools, karpenter.chart, *kubeflow.stages["foundation"]]
            ),
        ),
    )

    pulumi.export("environment", spec.name)
    pulumi.export("account_id", spec.account_id)
    pulumi.export("region", spec.region)
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("private_subnet_ids", network.private_subnet_ids)
    pulumi.export("intra_subnet_ids", network.intra_subnet_ids)
    pulumi.export("kms_key_arns", kms.key_arns)
    pulumi.export("permissions_boundary_arn", iam.boundary.arn)
    pulumi.export("audit_role_arn", iam.audit_role.arn)
    pulumi.export("deploy_role_arn", deploy.role_arn)
    pulumi.export("preview_role_arn", preview.role_arn)
    pulumi.export("cluster_name", eks.cluster_name)
    pulumi.export("cluster_arn", eks.cluster_arn)
    pulumi.export("karpenter_node_role_arn", karpenter.node_role.arn)
    pulumi.export("registry_bucket", registry.bucket_name)
    pulumi.export("access_log_bucket", access_logs.bucket_name)
    pulumi.export("mlflow_database_endpoint", tracking_database.endpoint)
    pulumi.export("mlflow_database_secret_arn", tracking_database.secret_arn)
    pulumi.export("mlflow_url", mlflow.url)
    pulumi.export("kubeflow_version", KUBEFLOW_VERSION)
    pulumi.export("inference_endpoints", serving.endpoints)
    pulumi.export("audit_bucket", spec.bucket_name("audit-logs"))
    pulumi.export("trail_arn", audit.trail.arn)
    pulumi.export("alarm_topic_arn", audit.topic_arn)
    # To activate in the organization's management account (a member account cannot).
    pulumi.export("cost_allocation_tags", costs.cost_allocation_tags)
