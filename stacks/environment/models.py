"""The environment's typed schema: every field of `mlplat:environment`, its type, range and
single-field validation, and the Problem/SpecError that report what is wrong."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from components.arns import partition
from components.catalog import KUBERNETES_VERSION
from components.gpu_pools import efa_instance_types
from components.network import Tier
from stacks.naming import Names

ENVIRONMENT_KEY = "mlplat:environment"

REQUIRED_TAGS = ("env", "owner-team", "cost-centre")
# CloudWatch Logs PutRetentionPolicy accepts only these; 0 ("never expire") is refused on purpose.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    path: str
    value: Any
    expected: str

    def __str__(self) -> str:
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{self.path}: got {shown}; expected {self.expected}"


class SpecError(Exception):
    """An environment that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem], headline: str = "invalid environment"):
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {headline} ({count}):\n{lines}")


def matching(pattern: str, expected: str) -> AfterValidator:
    """A string field that must match `pattern` whole; `expected` says what it should be."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(expected)
        return value

    return AfterValidator(check)


def one_of(values: tuple[Any, ...], expected: str) -> AfterValidator:
    """A field whose value must be one of `values`; `expected` says which they are."""

    def check(value: Any) -> Any:
        if value not in values:
            raise ValueError(expected)
        return value

    return AfterValidator(check)


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SubnetPrefixLengths(_Strict):
    public: int = Field(ge=16, le=28)
    private: int = Field(ge=16, le=28)
    intra: int = Field(ge=16, le=28)

    def as_mapping(self) -> dict[Tier, int]:
        return {"public": self.public, "private": self.private, "intra": self.intra}


class NetworkSpec(_Strict):
    vpc_cidr: str
    subnet_prefix_lengths: SubnetPrefixLengths
    nat: Literal["single", "one_per_az"]
    interface_endpoint_az_count: int = Field(ge=1, le=3)

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError(
                "an IPv4 network in CIDR form with no host bits, like 10.20.0.0/16"
            ) from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError("a VPC of /16 to /20 (EKS pods take VPC addresses)")
        if not network.is_private:
            raise ValueError("a private (RFC 1918) range")
        return value

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)


class LogsSpec(_Strict):
    retention_days: Annotated[
        int,
        one_of(
            LOG_RETENTION_DAYS, f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}"
        ),
    ]


class ProtectionSpec(_Strict):
    """Whether stateful resources (keys, buckets, databases) carry Pulumi's `protect`.

    On by default; turning it off is a loosening and needs a written reason.
    """

    stateful_resources: bool = True
    reason: str | None = None

    @model_validator(mode="after")
    def _reason_when_off(self) -> ProtectionSpec:
        if not self.stateful_resources and not (self.reason and self.reason.strip()):
            raise ValueError("a written `reason` when stateful_resources is false")
        return self


ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov|-iso|-iso-[bef])?:iam::\d{12}:role/[\w+=,.@/-]+")


def role_arns(value: list[str]) -> list[str]:
    bad = [a for a in value if not ROLE_ARN.fullmatch(a)]
    if bad:
        raise ValueError(f"IAM role ARNs (arn:<partition>:iam::<account>:role/<name>); bad {bad}")
    return value


class SecuritySpec(_Strict):
    """Who audits the environment: InfoSec principals, confined to the organization."""

    audit_principal_arns: list[str] = Field(min_length=1)
    organization_id: Annotated[
        str, matching(r"o-[a-z0-9]{10,32}", "an AWS Organization id like o-a1b2c3d4e5")
    ]

    @field_validator("audit_principal_arns")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        return role_arns(value)


class SystemNodesSpec(_Strict):
    # The platform's services run here too (components/placement.py): spot only where they may
    # be interrupted, which the policy pack refuses unless the environment waives it.
    capacity_type: Literal["on-demand", "spot"] = "on-demand"
    instance_types: list[str] = Field(min_length=1)
    min_size: int = Field(ge=1)
    desired_size: int = Field(ge=1)
    max_size: int = Field(ge=1, le=10)

    @field_validator("instance_types")
    @classmethod
    def _real_types(cls, value: list[str], info: ValidationInfo) -> list[str]:
        unknown = [t for t in value if t not in ec2_instance_types()]
        if unknown:
            raise ValueError(f"EC2 instance types (botocore's EC2 model); unknown {unknown}")
        if info.data.get("capacity_type") == "spot" and len(value) < 2:
            raise ValueError(
                "at least two instance types with capacity_type spot, so that one reclaimed "
                "type does not take every system node"
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> SystemNodesSpec:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("min_size <= desired_size <= max_size")
        return self


class ClusterSpec(_Strict):
    # Defaults to the catalog; set to move this environment ahead (dev first) for an upgrade.
    kubernetes_version: Annotated[
        str, matching(r"1\.\d{2}", "a Kubernetes minor version like 1.35")
    ] = KUBERNETES_VERSION
    admin_role_arns: list[str] = Field(min_length=1)
    system_nodes: SystemNodesSpec

    @field_validator("admin_role_arns")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return role_arns(value)


GPU_FAMILY = re.compile(r"^(g\d|gr\d|p\d)[a-z0-9-]*$")


class GpuPoolSpec(_Strict):
    """One Karpenter GPU NodePool: scales from zero to its GPU limit, nothing more."""

    name: Annotated[
        str, matching(r"[a-z][a-z0-9-]{1,40}", "a DNS label of lowercase letters, digits and -")
    ]
    workload: Literal["training", "inference"]
    instance_families: list[str] = Field(default_factory=list)
    instance_types: list[str] = Field(default_factory=list)
    capacity_types: list[Literal["spot", "on-demand"]] = Field(min_length=1)
    gpu_limit: int = Field(ge=1)
    labels: dict[str, str] = Field(default_factory=dict)
    # Elastic Fabric Adapter for multi-node training: the pool keeps only sizes that have one.
    efa: bool = False
    spot_reason: str | None = None

    @field_validator("instance_families")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        known = {t.split(".", 1)[0] for t in ec2_instance_types()}
        bad = [f for f in value if not GPU_FAMILY.match(f) or f not in known]
        if bad:
            raise ValueError(
                f"GPU instance families that EC2 offers (g*, p*); not GPU or unknown {bad}"
            )
        return value

    @field_validator("instance_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        bad = [
            t
            for t in value
            if t not in ec2_instance_types() or not GPU_FAMILY.match(t.split(".", 1)[0])
        ]
        if bad:
            raise ValueError(
                f"GPU instance types from botocore's EC2 model; not GPU or unknown {bad}"
            )
        return value

    @model_validator(mode="after")
    def _one_selector(self) -> GpuPoolSpec:
        if bool(self.instance_families) == bool(self.instance_types):
            raise ValueError("instance_families or instance_types (choose one)")
        if self.efa and not efa_instance_types(self.instance_families, self.instance_types):
            raise ValueError(
                "instance families or types with an EFA size when efa is true (g5, g6, g6e "
                "8xlarge and up, p4d, p5...); none of "
                f"{self.instance_families or self.instance_types} has one"
            )
        return self


class GpuSpec(_Strict):
    max_gpus_per_pool: int = Field(ge=1)
    # required: every pool on spot (dev); allowed; with-reason: spot needs the pool's spot_reason.
    spot: Literal["required", "allowed", "with-reason"]
    pools: list[GpuPoolSpec] = Field(default_factory=list)


class ComputeSpec(_Strict):
    """The general-purpose (CPU) Karpenter pool: notebooks, pipeline steps, routers."""

    instance_families: list[str] = Field(min_length=1)
    capacity_types: list[Literal["spot", "on-demand"]] = Field(min_length=1)
    cpu_limit: int = Field(ge=2, le=10000)

    @field_validator("instance_families")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        known = {t.split(".", 1)[0] for t in ec2_instance_types()}
        bad = [f for f in value if GPU_FAMILY.match(f) or f not in known]
        if bad:
            raise ValueError(f"CPU instance families that EC2 offers (no GPU family); bad {bad}")
        return value


def _written(value: str) -> str:
    if len(value.strip()) < 20:
        raise ValueError("a written reason (a sentence, at least 20 characters)")
    return value


# Why a rule is loosened: a sentence, never a placeholder.
WrittenReason = Annotated[str, AfterValidator(_written)]


class PolicyWaiver(_Strict):
    """A rule loosened for this environment: a lower level and/or looser settings, with why."""

    level: Literal["advisory"] | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    reason: WrittenReason

    @model_validator(mode="after")
    def _loosens_something(self) -> PolicyWaiver:
        if self.level is None and not self.settings:
            raise ValueError("a `level` or `settings` to loosen; otherwise drop the waiver")
        return self


class UpstreamWaiver(_Strict):
    """Rules that upstream's objects of one component (a Kubeflow Directory) fail, run as
    advisory for those objects only, with why: our own objects stay mandatory."""

    policies: list[str] = Field(min_length=1)
    reason: WrittenReason
    # The objects it covers, as the Directory renders them (`<namespace>/<name>`, or `<name>` for
    # a cluster-wide one); none: every object of the component.
    objects: list[str] = Field(default_factory=list)

    @field_validator("policies")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each policy once")
        return value


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


class ObjectLockSpec(_Strict):
    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: int = Field(ge=1, le=36500)


class AuditSpec(_Strict):
    """The audit-log bucket (CloudTrail, Config): every version locked, archived, then expired."""

    object_lock: ObjectLockSpec
    archive_after_days: int = Field(ge=1)
    retention_days: int = Field(ge=365)

    @model_validator(mode="after")
    def _retention_outlasts_lock_and_archive(self) -> AuditSpec:
        floor = max(self.object_lock.days, self.archive_after_days)
        if self.retention_days <= floor:
            raise ValueError(
                f"retention_days {self.retention_days} must exceed the object lock and archive "
                f"days ({floor})"
            )
        return self


class BudgetsSpec(_Strict):
    """The environment's monthly budget (its account's whole bill) and the cost anomaly that is
    worth a message."""

    monthly_usd: int = Field(ge=1)
    anomaly_threshold_usd: int = Field(ge=1)


# vLLM's time-to-first-token histogram buckets (seconds): an SLO threshold must be one of them.
VLLM_TTFT_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class InferenceSloSpec(_Strict):
    """Served models answer: this share of requests gets its first token within the threshold."""

    time_to_first_token_seconds: Annotated[
        float,
        one_of(
            VLLM_TTFT_BUCKETS,
            f"one of vLLM's time-to-first-token buckets {list(VLLM_TTFT_BUCKETS)}",
        ),
    ]
    objective: float = Field(gt=0.9, lt=1.0)


class ObservabilitySpec(_Strict):
    """Prometheus's retention and volume (encrypted gp3), and the serving SLO alerts burn on."""

    prometheus_retention_days: int = Field(ge=1, le=90)
    prometheus_storage_gi: int = Field(ge=10, le=2000)
    inference_slo: InferenceSloSpec


class NotificationsSpec(_Strict):
    """Who hears alarms, budget alerts and cost anomalies (through the encrypted SNS topic)."""

    emails: list[str] = Field(min_length=1)

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not EMAIL.fullmatch(v)]
        if bad:
            raise ValueError(f"e-mail addresses; bad {bad}")
        return value


class RegistrySpec(_Strict):
    """The model registry bucket: how long superseded versions stay, and WORM retention."""

    noncurrent_version_days: int = Field(ge=1)
    object_lock: ObjectLockSpec | None = None
    # The environment whose registry's `approved/` models CI copies into this one (staging for
    # prod). The only data that crosses environments, and only this way.
    promote_from: str | None = None


class TrackingDatabaseSpec(_Strict):
    """MLflow's PostgreSQL: its size, backups, and a standby where one AZ must not stop it."""

    instance_class: Annotated[
        str, matching(r"db\.[a-z0-9-]+\.[a-z0-9]+", "an RDS instance class like db.t4g.medium")
    ]
    allocated_storage_gb: int = Field(ge=20, le=65536)
    backup_retention_days: int = Field(ge=7, le=35)
    multi_az: bool


class MlflowSpec(_Strict):
    database: TrackingDatabaseSpec


QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$")


class TeamGpuSpec(_Strict):
    """A team's GPUs in one pool, as its Kueue ClusterQueue holds them."""

    nominal: int = Field(
        ge=0,
        description="GPUs guaranteed to the team: Kueue's nominal quota in the pool's flavor. "
        "Per pool, the teams' nominal GPUs fit within its `gpu_limit`",
    )
    borrowing_limit: int = Field(
        default=0,
        ge=0,
        description="more it may borrow while other teams leave theirs idle (Kueue's "
        "`borrowingLimit`); nominal plus borrowing fits the pool's `gpu_limit`. 0 on an "
        "inference pool: serving runs on its nominal GPUs",
    )
    lending_limit: int | None = Field(
        default=None,
        ge=0,
        description="at most this many of its nominal GPUs lent to others (Kueue's "
        "`lendingLimit`), at most nominal; unset lends all it is not using. 0 or unset on an "
        "inference pool: serving's GPUs are never lent",
    )

    @model_validator(mode="after")
    def _lending(self) -> TeamGpuSpec:
        if self.lending_limit is not None and self.lending_limit > self.nominal:
            raise ValueError(f"lending_limit at most nominal ({self.nominal})")
        return self

    @property
    def ceiling(self) -> int:
        return self.nominal + self.borrowing_limit


class TeamSpec(_Strict):
    """A team: its namespace, its GPU queue and quotas, and its registry prefix."""

    name: Annotated[
        str,
        matching(
            r"[a-z][a-z0-9-]{1,30}",
            "a DNS label of lowercase letters, digits and - (2-31 characters)",
        ),
    ] = Field(
        description="the team: namespace `team-<name>`, Kueue queue `team-<name>`, registry "
        "prefix `teams/<name>/`; unique in the environment"
    )
    owners: list[str] = Field(
        min_length=1,
        description="e-mail addresses (their OIDC identity): the first owns the Kubeflow "
        "Profile, the others are its admins",
    )
    gpus: dict[str, TeamGpuSpec] = Field(
        default_factory=dict,
        description="GPU pool name -> the team's GPUs there; a pool not listed gives it none. "
        "The namespace's hard GPU quota is nominal plus borrowing over every pool",
    )
    fair_share_weight: int = Field(
        default=1,
        ge=1,
        le=100,
        description="its share of the GPUs the cohort has spare, against the other teams' "
        "(Kueue fair sharing)",
    )
    cpu_quota: str = Field(description="the namespace's hard CPU requests and limits (a quantity)")
    memory_quota: str = Field(
        description="the namespace's hard memory requests and limits (a quantity)"
    )
    monthly_budget_usd: int = Field(
        ge=1,
        description="an AWS budget on what carries its `mlplat.io/team` cost allocation tag; at "
        "least a month of its nominal GPUs at each pool's lowest GPU-hour price",
    )
    budget_below_gpu_cost_reason: str | None = Field(
        default=None,
        description="why the budget may be below a month of its nominal GPUs (without it that "
        "is an error: the budget alarm would fire whenever the team used what it is guaranteed)",
    )

    @property
    def gpu_ceiling(self) -> int:
        """The namespace's hard GPU quota: nominal plus borrowing in every pool, so nothing
        admitted by Kueue is refused by the quota, and nothing bypassing Kueue gets more."""
        return sum(pool.ceiling for pool in self.gpus.values())

    @field_validator("owners")
    @classmethod
    def _owners(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not EMAIL.fullmatch(v)]
        if bad:
            raise ValueError(f"owners' e-mail addresses (their OIDC identity); bad {bad}")
        return value

    @field_validator("cpu_quota", "memory_quota")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not QUANTITY.fullmatch(value):
            raise ValueError("a Kubernetes quantity like 32, 500m or 128Gi")
        return value


class OidcSpec(_Strict):
    """The identity provider people log in to Kubeflow with (no Dex, no static users)."""

    issuer_url: str
    client_id: Annotated[
        str,
        matching(
            r"[A-Za-z0-9._:-]{3,128}",
            "the OIDC client id registered for this environment's Kubeflow",
        ),
    ]
    # Only people of these e-mail domains get past the login; never "*".
    email_domains: list[str] = Field(min_length=1)

    @field_validator("issuer_url")
    @classmethod
    def _issuer(cls, value: str) -> str:
        if not re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?", value):
            raise ValueError(
                "the issuer's https URL, like https://login.example.com/oauth2/default"
            )
        return value

    @field_validator("email_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", v)]
        if bad:
            raise ValueError(f"e-mail domains like example.com (no wildcard); bad {bad}")
        return value


class KubeflowSpec(_Strict):
    oidc: OidcSpec
    # Notebooks idle this long are stopped (their volumes stay); GPUs go back to the pool.
    notebook_idle_minutes: int = Field(ge=10, le=10080)


class ServedModelSpec(_Strict):
    """An InferenceService of a team: an approved model version on the vLLM runtime, rolled out
    as a canary that takes `canary_traffic_percent` of requests until promoted."""

    name: Annotated[
        str,
        matching(
            r"[a-z][a-z0-9-]{1,40}[a-z0-9]",
            "a DNS label of lowercase letters, digits and - (3-42 characters)",
        ),
    ]
    team: str
    version: Annotated[
        str,
        matching(
            r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", "a registry path segment like 3 or 2026-11-01"
        ),
    ]
    canary_traffic_percent: int = Field(ge=0, le=100)
    gpus: int = Field(ge=1, le=8)
    min_replicas: int = Field(ge=0)
    max_replicas: int = Field(ge=1)

    @model_validator(mode="after")
    def _replicas(self) -> ServedModelSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas {self.min_replicas} above max_replicas")
        return self


class ServingSpec(_Strict):
    models: list[ServedModelSpec] = Field(default_factory=list)


GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class CiSpec(_Strict):
    """Where the environment is deployed from: GitHub Actions of one repository, in the GitHub
    environment named like this one (its required reviewers gate the deploy)."""

    github_repository: str

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not GITHUB_REPOSITORY.fullmatch(value) or value.endswith((".", "/.", "/..")):
            raise ValueError("a GitHub repository as owner/name, like my-org/mlplat")
        return value


class EnvironmentSpec(_Strict):
    name: str
    account_id: Annotated[str, matching(r"\d{12}", "a 12-digit AWS account id, quoted")]
    region: str
    availability_zones: list[str]
    network: NetworkSpec
    tags: dict[str, str]
    logs: LogsSpec
    protection: ProtectionSpec = ProtectionSpec()
    security: SecuritySpec
    cluster: ClusterSpec
    gpu: GpuSpec
    compute: ComputeSpec
    ci: CiSpec
    registry: RegistrySpec
    mlflow: MlflowSpec
    # Adding a team is one entry here.
    teams: list[TeamSpec] = Field(default_factory=list)
    kubeflow: KubeflowSpec
    serving: ServingSpec = ServingSpec()
    audit: AuditSpec
    notifications: NotificationsSpec
    budgets: BudgetsSpec
    observability: ObservabilitySpec
    # Policy rules loosened in this environment (name -> waiver); every rule is mandatory, at its
    # secure settings, unless listed here.
    policy_waivers: dict[str, PolicyWaiver] = Field(default_factory=dict)
    # Upstream components whose rendered objects fail some rules (component -> waiver); checked
    # against the rendered objects, so an unused waiver is named.
    upstream_waivers: dict[str, list[UpstreamWaiver]] = Field(default_factory=dict)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in eks_regions():
            raise ValueError("an AWS region where EKS is offered, like eu-west-1")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [t for t in REQUIRED_TAGS if not value.get(t, "").strip()]
        if missing:
            raise ValueError(f"non-empty tags {list(REQUIRED_TAGS)}; missing {missing}")
        bad = [k for k in value if k.lower().startswith("aws:") or not 0 < len(k) <= 128]
        bad += [k for k, v in value.items() if len(v) > 256]
        if bad:
            raise ValueError(
                f"tag keys of 1-128 characters without the aws: prefix, values up to 256; bad {bad}"
            )
        return value

    @property
    def names(self) -> Names:
        """Every physical name of the environment (`stacks/naming.py`)."""
        return Names(self.name, self.account_id)

    @property
    def name_prefix(self) -> str:
        """Every IAM role and policy, the cluster, queue and event rules are named `<prefix>-*`:
        the CI deploy role's grants are scoped to it."""
        return self.names.prefix

    @property
    def cluster_name(self) -> str:
        return self.names.cluster

    @property
    def promotion_role_name(self) -> str:
        return self.names.promotion_role

    @property
    def promotion_role_arn(self) -> str:
        return (
            f"arn:{partition(self.region)}:iam::{self.account_id}:role/{self.promotion_role_name}"
        )

    @property
    def deploy_role_name(self) -> str:
        return self.names.deploy_role

    def bucket_name(self, purpose: str) -> str:
        return self.names.bucket(purpose)

    @property
    def state_bucket(self) -> str:
        return self.names.state_bucket


def deploy_role_name(environment: str) -> str:
    return Names(environment).deploy_role


@cache
def eks_regions() -> frozenset[str]:
    """Regions from botocore's bundled endpoint data: offline, as current as the pinned boto3."""
    import boto3

    session = boto3.session.Session()
    return frozenset(session.get_available_regions("eks"))


@cache
def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type botocore's bundled EC2 model knows: offline, pinned with boto3."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    return frozenset(model.shape_for("InstanceType").enum)
