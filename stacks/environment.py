"""The environment as typed config: read `environments/Pulumi.<env>.yaml` once, validate, report
every problem at once.

The file is the Pulumi stack config file itself (`stackConfigDir: environments`), so `pulumi up`
and offline synthesis read the same bytes. The whole environment lives under one structured key,
`mlplat:environment`; sibling files are read for the checks that span environments (disjoint
CIDRs, distinct accounts).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from components.arns import partition
from components.catalog import KUBERNETES_VERSION
from components.gpu_pools import efa_instance_types
from components.network import Tier, plan_subnets
from stacks.naming import Names

ENVIRONMENTS_DIR = Path(__file__).resolve().parent.parent / "environments"
ENVIRONMENT_KEY = "mlplat:environment"
# Config keys a stack file may hold besides the environment. Anything else is a typo.
OTHER_CONFIG_KEYS = frozenset({"pulumi:disable-default-providers"})
STACK_FILE_KEYS = frozenset({"config", "secretsprovider", "encryptedkey", "encryptionsalt"})

REQUIRED_TAGS = ("env", "owner-team", "cost-centre")
# CloudWatch Logs PutRetentionPolicy accepts only these; 0 ("never expire") is refused on purpose.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
PROMOTION_ORDER = ("dev", "staging", "prod")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{1,15}$")


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
    retention_days: int

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}")
        return value


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

    time_to_first_token_seconds: float
    objective: float = Field(gt=0.9, lt=1.0)

    @field_validator("time_to_first_token_seconds")
    @classmethod
    def _bucket(cls, value: float) -> float:
        if value not in VLLM_TTFT_BUCKETS:
            raise ValueError(f"one of vLLM's time-to-first-token buckets {list(VLLM_TTFT_BUCKETS)}")
        return value


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


class TeamSpec(_Strict):
    """A team: its namespace, its quota (GPUs included) and its registry prefix."""

    name: Annotated[
        str,
        matching(
            r"[a-z][a-z0-9-]{1,30}",
            "a DNS label of lowercase letters, digits and - (2-31 characters)",
        ),
    ]
    owners: list[str] = Field(min_length=1)
    gpu_quota: int = Field(ge=0)
    cpu_quota: str
    memory_quota: str
    # The team's monthly budget, on what carries its `mlplat.io/team` cost allocation tag.
    monthly_budget_usd: int = Field(ge=1)

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


# --- loading -------------------------------------------------------------------------------------


def environment_file(name: str, env_dir: Path | None = None) -> Path:
    return (env_dir or ENVIRONMENTS_DIR) / f"Pulumi.{name}.yaml"


def known_environments(env_dir: Path | None = None) -> list[str]:
    """Environment names in promotion order (dev, staging, prod), then any others by name."""
    files = (env_dir or ENVIRONMENTS_DIR).glob("Pulumi.*.yaml")
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in files]
    return sorted(
        names, key=lambda n: (PROMOTION_ORDER.index(n) if n in PROMOTION_ORDER else 99, n)
    )


# An environment file is a page of YAML: anything much larger, or a web of aliases (whose
# expansion grows exponentially, the "billion laughs"), is refused before it is expanded.
MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 16


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing more than MAX_ALIASES aliases."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name)")
        return super().compose_node(parent, index)


def parse_stack_file(text: str, source: str) -> dict[str, Any]:
    """The raw environment mapping from a stack file's text. Raises SpecError, nothing else."""
    try:
        document = yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader: no object tags
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise SpecError(source, [Problem("(file)", _first_line(err), f"valid YAML{at}")]) from None
    if not isinstance(document, dict):
        raise SpecError(source, [Problem("(file)", document, "a mapping with a `config:` key")])
    problems = [
        Problem(str(key), "(present)", f"only the keys {sorted(STACK_FILE_KEYS)}")
        for key in document
        if key not in STACK_FILE_KEYS
    ]
    config = document.get("config")
    if not isinstance(config, dict):
        problems.append(Problem("config", config, f"a mapping holding `{ENVIRONMENT_KEY}`"))
        raise SpecError(source, problems)
    problems += [
        Problem(
            f"config.{key}", "(present)", f"only {sorted({ENVIRONMENT_KEY, *OTHER_CONFIG_KEYS})}"
        )
        for key in config
        if key != ENVIRONMENT_KEY and key not in OTHER_CONFIG_KEYS
    ]
    raw = config.get(ENVIRONMENT_KEY)
    if not isinstance(raw, dict):
        problems.append(Problem(ENVIRONMENT_KEY, raw, "a mapping describing the environment"))
        raise SpecError(source, problems)
    if problems:
        raise SpecError(source, problems)
    return raw


def validate_environment(
    name: str, raw: Mapping[str, Any], siblings: Mapping[str, Mapping[str, Any]], source: str
) -> EnvironmentSpec:
    """The typed spec, or SpecError listing every problem, including those across environments."""
    problems: list[Problem] = []
    if not ENV_NAME.fullmatch(name):
        problems.append(
            Problem("(file name)", name, "an environment name of lowercase letters, digits, -")
        )
    if "name" in raw:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.name", raw["name"], "no `name`: it comes from the file name"
            )
        )
    spec = None
    try:
        spec = EnvironmentSpec.model_validate({**raw, "name": name})
    except ValidationError as err:
        problems += [_problem(e) for e in err.errors()]
    problems += _consistency_problems(name, raw)
    problems += _cross_environment_problems(raw, siblings)
    if problems:
        raise SpecError(source, problems)
    assert spec is not None
    return spec


def load_environment(name: str, env_dir: Path | None = None) -> EnvironmentSpec:
    """Reads and validates one environment against its siblings. Raises SpecError on any problem."""
    env_dir = env_dir or ENVIRONMENTS_DIR
    known = known_environments(env_dir)
    path = environment_file(name, env_dir)
    source = _display(path)
    if name not in known:
        raise SpecError(
            _display(env_dir),
            [Problem("environment", name, f"one of {known}, each a file Pulumi.<env>.yaml here")],
            headline="unknown environment",
        )
    text = _read(path, source)
    sibling_texts = []
    for other in known:
        if other == name:
            continue
        try:
            other_path = environment_file(other, env_dir)
            sibling_texts.append((other, _read(other_path, _display(other_path))))
        except SpecError:
            continue
    return _validated(name, source, text, tuple(sibling_texts))


@lru_cache(maxsize=16)
def _validated(
    name: str, source: str, text: str, sibling_texts: tuple[tuple[str, str], ...]
) -> EnvironmentSpec:
    """The spec of these file contents, validated once: a synthesis loads each environment
    several times (the CLI, the program, promotion source and targets). Errors are not cached."""
    raw = parse_stack_file(text, source)
    siblings = {}
    for other, other_text in sibling_texts:
        # A sibling's own errors are reported when that environment is loaded; here it only
        # contributes what it declares validly (its account and CIDR).
        try:
            siblings[other] = parse_stack_file(other_text, "")
        except SpecError:
            continue
    return validate_environment(name, raw, siblings, source)


def promotion_source(spec: EnvironmentSpec, env_dir: Path | None = None) -> EnvironmentSpec | None:
    """The environment this one promotes models from, if any."""
    source = spec.registry.promote_from
    return load_environment(source, env_dir) if source else None


def promotion_targets(spec: EnvironmentSpec, env_dir: Path | None = None) -> list[EnvironmentSpec]:
    """The environments that promote models from this one."""
    others = [load_environment(n, env_dir) for n in known_environments(env_dir) if n != spec.name]
    return [other for other in others if other.registry.promote_from == spec.name]


def _read(path: Path, source: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_STACK_FILE_BYTES:
            raise SpecError(
                source, [Problem("(file)", f"{size} bytes", f"at most {MAX_STACK_FILE_BYTES}")]
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(source, [Problem("(file)", str(err), "a readable UTF-8 file")]) from None


def _at(raw: Any, *path: str) -> Any:
    """The value at a path of the raw mapping, or None where the path does not exist."""
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def _network(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _consistency_problems(name: str, raw: Mapping[str, Any]) -> list[Problem]:
    """Checks that relate several fields, each naming the field to change. They read the raw
    values, so they run (and report) even when an unrelated field is invalid."""
    problems = []
    env_tag = _at(raw, "tags", "env")
    if isinstance(env_tag, str) and env_tag.strip() and env_tag != name:
        problems.append(
            Problem(f"{ENVIRONMENT_KEY}.tags.env", env_tag, f"the environment name {name!r}")
        )
    account, admins = _at(raw, "account_id"), _at(raw, "cluster", "admin_role_arns")
    valid_account = isinstance(account, str) and re.fullmatch(r"\d{12}", account)
    for index, arn in enumerate(admins if isinstance(admins, list) and valid_account else []):
        if isinstance(arn, str) and arn.endswith(f":role/{deploy_role_name(name)}"):
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.cluster.admin_role_arns[{index}]",
                    arn,
                    "people's roles only: the stack creates the CI deploy role and its access "
                    "entry",
                )
            )
        elif isinstance(arn, str) and arn.split(":")[4:5] != [account]:
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.cluster.admin_role_arns[{index}]",
                    arn,
                    f"a role of this environment's account {account}",
                )
            )
    protected = _at(raw, "protection", "stateful_resources") is not False
    registry = _at(raw, "registry")
    if protected and isinstance(registry, Mapping) and registry.get("object_lock") is None:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.registry.object_lock",
                "(missing)",
                "a mode (GOVERNANCE or COMPLIANCE) and days where stateful resources are "
                "protected: registry versions of record are write-once",
            )
        )
    problems += _gpu_problems(raw)
    problems += _team_problems(raw)
    problems += _serving_problems(raw)
    region, azs = _at(raw, "region"), _at(raw, "availability_zones")
    if not (isinstance(region, str) and region in eks_regions() and isinstance(azs, list)):
        return problems
    of_region = all(
        isinstance(az, str) and re.fullmatch(re.escape(region) + r"[a-z]", az) for az in azs
    )
    if len(azs) != 3 or len(set(map(str, azs))) != 3 or not of_region:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.availability_zones",
                azs,
                f"three distinct AZs of {region}, like {region}a",
            )
        )
        return problems
    vpc, lengths = (
        _network(_at(raw, "network", "vpc_cidr")),
        _at(raw, "network", "subnet_prefix_lengths"),
    )
    valid_lengths = isinstance(lengths, dict) and all(
        type(lengths.get(tier)) is int for tier in ("public", "private", "intra")
    )
    if vpc is not None and valid_lengths:
        try:
            plan_subnets(str(vpc), azs, lengths)
        except ValueError as err:
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.network.subnet_prefix_lengths",
                    lengths,
                    f"subnets that fit the VPC ({err})",
                )
            )
    return problems


def _team_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Team names unique; no team's GPU quota beyond what the pools can ever hold."""
    teams, pools = _at(raw, "teams"), _at(raw, "gpu", "pools")
    if not isinstance(teams, list):
        return []
    problems = []
    limits = (
        [p.get("gpu_limit") for p in pools if isinstance(p, dict)]
        if isinstance(pools, list)
        else []
    )
    capacity = sum(limit for limit in limits if type(limit) is int)
    seen: set[Any] = set()
    for index, team in enumerate(teams):
        if not isinstance(team, dict):
            continue
        path = f"{ENVIRONMENT_KEY}.teams[{index}]"
        if team.get("name") in seen:
            problems.append(Problem(f"{path}.name", team.get("name"), "a name no other team has"))
        seen.add(team.get("name"))
        quota = team.get("gpu_quota")
        if type(quota) is int and quota > capacity:
            problems.append(
                Problem(
                    f"{path}.gpu_quota", quota, f"at most the GPU pools' total limit {capacity}"
                )
            )
    return problems


def _serving_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Each served model belongs to a team that can hold one replica, on an inference pool."""
    models, teams, pools = (
        _at(raw, "serving", "models"),
        _at(raw, "teams"),
        _at(raw, "gpu", "pools"),
    )
    if not isinstance(models, list) or not models:
        return []
    quotas: dict[str, Any] = {
        str(t.get("name")): t.get("gpu_quota")
        for t in (teams if isinstance(teams, list) else [])
        if isinstance(t, dict)
    }
    problems = []
    inference = isinstance(pools, list) and any(
        isinstance(p, dict) and p.get("workload") == "inference" for p in pools
    )
    if not inference:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.gpu.pools",
                [p.get("name") for p in pools if isinstance(p, dict)]
                if isinstance(pools, list)
                else pools,
                "a pool with `workload: inference` for the served models to run on",
            )
        )
    names: list[Any] = []
    for index, model in enumerate(models):
        if not isinstance(model, dict):
            continue
        path = f"{ENVIRONMENT_KEY}.serving.models[{index}]"
        team, gpus = model.get("team"), model.get("gpus")
        if team not in quotas:
            problems.append(
                Problem(f"{path}.team", team, f"one of this environment's teams {sorted(quotas)}")
            )
        elif type(gpus) is int and type(quota := quotas[team]) is int and gpus > quota:
            problems.append(
                Problem(f"{path}.gpus", gpus, f"at most team {team!r}'s GPU quota {quota}")
            )
        if (team, model.get("name")) in names:
            problems.append(
                Problem(f"{path}.name", model.get("name"), "a name unique within its team")
            )
        names.append((team, model.get("name")))
    return problems


def _gpu_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Each pool within the environment's GPU ceiling and its spot policy; names unique."""
    problems: list[Problem] = []
    ceiling, spot, pools = (
        _at(raw, "gpu", "max_gpus_per_pool"),
        _at(raw, "gpu", "spot"),
        _at(raw, "gpu", "pools"),
    )
    if not isinstance(pools, list):
        return problems
    names = [p.get("name") for p in pools if isinstance(p, dict)]
    for index, pool in enumerate(pools):
        if not isinstance(pool, dict):
            continue
        path = f"{ENVIRONMENT_KEY}.gpu.pools[{index}]"
        limit, capacity = pool.get("gpu_limit"), pool.get("capacity_types")
        if type(limit) is int and type(ceiling) is int and limit > ceiling:
            problems.append(
                Problem(f"{path}.gpu_limit", limit, f"at most the environment's ceiling {ceiling}")
            )
        if isinstance(capacity, list):
            if spot == "required" and capacity != ["spot"]:
                problems.append(
                    Problem(
                        f"{path}.capacity_types", capacity, "['spot'] (gpu.spot is required here)"
                    )
                )
            if (
                spot == "with-reason"
                and "spot" in capacity
                and not str(pool.get("spot_reason") or "").strip()
            ):
                problems.append(
                    Problem(
                        f"{path}.spot_reason",
                        pool.get("spot_reason"),
                        "a written reason for spot capacity here",
                    )
                )
        if names.count(pool.get("name")) > 1:
            problems.append(Problem(f"{path}.name", pool.get("name"), "a name no other pool uses"))
    return problems


def _cross_environment_problems(
    raw: Mapping[str, Any], siblings: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """This environment against what each sibling file declares validly."""
    problems = []
    account, cidr = _at(raw, "account_id"), _at(raw, "network", "vpc_cidr")
    network = _network(cidr)
    source = _at(raw, "registry", "promote_from")
    if source is not None and source not in siblings:
        problems.append(
            Problem(
                f"{ENVIRONMENT_KEY}.registry.promote_from",
                source,
                f"another environment's name, one of {sorted(siblings)}",
            )
        )
    for other, sibling in sorted(siblings.items()):
        if isinstance(account, str) and account == _at(sibling, "account_id"):
            problems.append(
                Problem(f"{ENVIRONMENT_KEY}.account_id", account, f"an account not used by {other}")
            )
        other_network = _network(_at(sibling, "network", "vpc_cidr"))
        if network is not None and other_network is not None and other_network.overlaps(network):
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.network.vpc_cidr",
                    cidr,
                    f"a range disjoint from {other}'s {other_network}",
                )
            )
    return problems


def _problem(error: Mapping[str, Any]) -> Problem:
    loc = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
    loc = loc.removeprefix(".")
    path = f"{ENVIRONMENT_KEY}.{loc}" if loc else ENVIRONMENT_KEY
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(path, error["input"], "no such key (check the spelling)")
    if kind == "missing":
        return Problem(path, "(missing)", "a value: this key is required")
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if message.startswith("Input should be "):
        message = message.removeprefix("Input should be ")
    value = error.get("input")
    if kind == "string_type" and isinstance(value, int):
        message += " (quote it in YAML)"
    return Problem(path, value, message)


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "problem", None) or err)
    return text.splitlines()[0] if text else type(err).__name__


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
