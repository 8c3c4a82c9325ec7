"""A monthly cost estimate from a synthesized (or exported) state: what the environment costs
idle (nothing running but the platform itself) and at its ceiling (every pool at its limit),
line by line, from the dated price table in components/prices/<region>.yaml.

It reads only the state, so the estimate of a change is the difference of two states (the PR
comment's cost delta). Usage-priced services (S3 bytes, data transfer, data events, GuardDuty,
Config, Security Hub) are listed, not guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from components.placement import SYSTEM_TAINT_KEY
from components.pricing import Prices, PriceTableError, gpu_hour_prices, load_prices
from mlplat import state
from policies import facts

GPU = "nvidia.com/gpu"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
INFERENCE_SERVICE = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
CHART = "kubernetes:helm.sh/v4:Chart"
# What of a node pods can use: the rest is the kubelet's reservation and bin-packing slack.
NODE_HEADROOM = 0.8
USAGE_BASED = (
    "S3 storage and requests",
    "data transfer and NAT data processing",
    "CloudTrail S3 data events",
    "GuardDuty, AWS Config and Security Hub (per event, item and check)",
)


class CostError(Exception):
    """The state or the price table cannot be read; the message says which and why."""


def prices_for(region: str) -> Prices:
    try:
        return load_prices(region)
    except PriceTableError as error:
        raise CostError(str(error)) from None


@dataclass(frozen=True)
class Line:
    component: str
    item: str
    idle: float
    ceiling: float
    basis: str


@dataclass(frozen=True)
class TeamGpus:
    """A team's Kueue queue, priced: what it is guaranteed, what it may borrow on top."""

    queue: str
    nominal: int
    borrowable: int
    nominal_usd: float  # a month of its nominal GPUs, at each pool's lowest GPU-hour price
    full_usd: float  # a month of nominal plus everything it may borrow, likewise


@dataclass(frozen=True)
class Estimate:
    environment: str
    region: str
    prices_as_of: str
    lines: tuple[Line, ...]
    floor: float
    teams: tuple[TeamGpus, ...] = ()
    usage_based: tuple[str, ...] = field(default=USAGE_BASED)

    @property
    def idle(self) -> float:
        return sum(line.idle for line in self.lines)

    @property
    def ceiling(self) -> float:
        return sum(line.ceiling for line in self.lines)

    @property
    def gpu_idle(self) -> float:
        return sum(line.idle for line in self.lines if line.component.startswith("gpu pool"))

    def dominant(self, key: str, count: int = 3) -> list[Line]:
        """The lines that make most of the idle or the ceiling total."""
        return sorted(self.lines, key=lambda line: getattr(line, key), reverse=True)[:count]

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "region": self.region,
            "prices_as_of": self.prices_as_of,
            "idle_usd_month": round(self.idle, 2),
            "ceiling_usd_month": round(self.ceiling, 2),
            "gpu_idle_usd_month": round(self.gpu_idle, 2),
            "floor_usd_month": round(self.floor, 2),
            "idle_over_floor": round(self.idle / self.floor, 2) if self.floor else None,
            "lines": [
                {**asdict(line), "idle": round(line.idle, 2), "ceiling": round(line.ceiling, 2)}
                for line in self.lines
            ],
            "teams": [
                {
                    **asdict(team),
                    "nominal_usd": round(team.nominal_usd, 2),
                    "full_usd": round(team.full_usd, 2),
                }
                for team in self.teams
            ],
            "usage_based_not_estimated": list(self.usage_based),
        }


# --- reading the state ---------------------------------------------------------------------------


def _of(resources: Iterable[Mapping[str, Any]], type_: str) -> list[Mapping[str, Any]]:
    return [r for r in resources if r.get("type") == type_]


def _inputs(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("inputs") or {}


# Kubernetes quantity suffixes, binary before decimal ("Mi" before "M"): cores for `m`, GiB for
# the byte suffixes.
QUANTITY_UNITS = {
    "Ki": 2**-20,
    "Mi": 2**-10,
    "Gi": 1.0,
    "Ti": 2**10,
    "m": 1e-3,
    "k": 1e3 / 2**30,
    "M": 1e6 / 2**30,
    "G": 1e9 / 2**30,
    "T": 1e12 / 2**30,
}


def _quantity(value: Any) -> float:
    """A Kubernetes CPU or memory quantity as cores or GiB."""
    text = str(value).strip()
    try:
        for suffix, scale in QUANTITY_UNITS.items():
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * scale
        return float(text)
    except ValueError:
        raise CostError(
            f"resource request {text!r}: expected a Kubernetes quantity like 500m, 2 or 512Mi"
        ) from None


def _requirement(pool: Mapping[str, Any], key: str) -> list[str]:
    spec = ((_inputs(pool).get("spec") or {}).get("template") or {}).get("spec") or {}
    for requirement in spec.get("requirements") or []:
        if requirement.get("key") == key and requirement.get("operator") == "In":
            return [str(v) for v in requirement.get("values") or []]
    return []


def _pool_name(pool: Mapping[str, Any]) -> str:
    return str((_inputs(pool).get("metadata") or {}).get("name") or pool["urn"].rsplit("::")[-1])


def _pool_labels(pool: Mapping[str, Any]) -> Mapping[str, str]:
    template = (_inputs(pool).get("spec") or {}).get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}


def _allowed_types(pool: Mapping[str, Any], prices: Prices, *, gpu: bool) -> list[str]:
    types = _requirement(pool, "node.kubernetes.io/instance-type")
    families = _requirement(pool, "karpenter.k8s.aws/instance-family")
    candidates = [
        t
        for t, spec in prices.ec2.items()
        if (t in types if types else t.split(".")[0] in families) and bool(spec.get("gpus")) is gpu
    ]
    if not candidates:
        raise CostError(
            f"NodePool {_pool_name(pool)}: no priced instance type among "
            f"{types or families}; add them to components/prices/{prices.region}.yaml"
        )
    return candidates


def _spot_only(pool: Mapping[str, Any]) -> bool:
    return _requirement(pool, "karpenter.sh/capacity-type") == ["spot"]


def _spot_allowed(pool: Mapping[str, Any]) -> bool:
    return "spot" in _requirement(pool, "karpenter.sh/capacity-type")


# --- the lines -----------------------------------------------------------------------------------


def _cluster(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    month = prices.month(prices.services["eks_cluster_hour"])
    return [
        Line("cluster", "EKS control plane", month, month, "per cluster-hour")
        for _ in _of(resources, "aws:eks/cluster:Cluster")
    ]


def _system_nodes(
    resources: Sequence[Mapping[str, Any]], prices: Prices, platform: Footprint, usable: Footprint
) -> list[Line]:
    templates = {
        str((r.get("outputs") or {}).get("id")): r
        for r in _of(resources, "aws:ec2/launchTemplate:LaunchTemplate")
    }
    lines = []
    for group in _of(resources, "aws:eks/nodeGroup:NodeGroup"):
        inputs = _inputs(group)
        (instance_type,) = inputs["instanceTypes"][:1]
        spot = inputs.get("capacityType") == "SPOT"
        scaling = inputs["scalingConfig"]
        template = templates.get(str((inputs.get("launchTemplate") or {}).get("id")), {})
        volume_gb = sum(
            float((m.get("ebs") or {}).get("volumeSize") or 0)
            for m in _inputs(template).get("blockDeviceMappings") or []
        )
        node = prices.month(prices.instance_hour(instance_type, spot=spot))
        node += volume_gb * prices.services["ebs_gp3_gb_month"]
        lines.append(
            Line(
                "system nodes",
                f"{scaling['minSize']}-{scaling['maxSize']} x {instance_type}"
                f"{' spot' if spot else ''} (+{volume_gb:.0f} GB gp3 each); the platform and "
                f"add-ons request {platform.cpu:.1f} of {usable.cpu:.1f} usable vCPU, "
                f"{platform.memory:.0f} of {usable.memory:.0f} GiB",
                scaling["minSize"] * node,
                scaling["maxSize"] * node,
                f"{'spot at the assumed discount' if spot else 'on-demand'}, at min (idle) and "
                f"max (ceiling) size; usable: {NODE_HEADROOM:.0%} of each node less its agents",
            )
        )
    return lines


def _network(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    services = prices.services
    nats = _of(resources, "aws:ec2/natGateway:NatGateway")
    nat = prices.month(services["nat_gateway_hour"] + services["public_ipv4_hour"])
    lines = []
    if nats:
        lines.append(
            Line(
                "network",
                f"{len(nats)} NAT gateway{'s' if len(nats) > 1 else ''} with public IPv4",
                len(nats) * nat,
                len(nats) * nat,
                "per hour; data processing is usage-based",
            )
        )
    endpoint_azs = sum(
        len(_inputs(e).get("subnetIds") or [])
        for e in _of(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if _inputs(e).get("vpcEndpointType") == "Interface"
    )
    if endpoint_azs:
        month = endpoint_azs * prices.month(services["interface_endpoint_az_hour"])
        lines.append(
            Line(
                "network",
                f"interface endpoints: {endpoint_azs} endpoint-AZs",
                month,
                month,
                "per endpoint per AZ-hour",
            )
        )
    return lines


def _databases(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    lines = []
    for instance in _of(resources, "aws:rds/instance:Instance"):
        inputs = _inputs(instance)
        copies = 2 if inputs.get("multiAz") else 1
        klass = str(inputs["instanceClass"])
        if klass not in prices.rds:
            raise CostError(
                f"{instance['urn'].rsplit('::')[-1]}: no price for RDS class {klass!r}; add it "
                f"to components/prices/{prices.region}.yaml"
            )
        compute = copies * prices.month(prices.rds[klass] * prices.factor)
        storage = float(inputs.get("allocatedStorage") or 0)
        most = float(inputs.get("maxAllocatedStorage") or storage)
        gb = prices.services["rds_gp3_gb_month"] * copies
        lines.append(
            Line(
                "database",
                f"RDS {klass}{' multi-AZ' if copies == 2 else ''}, {storage:.0f}-{most:.0f} GB",
                compute + storage * gb,
                compute + most * gb,
                "instance-hours; storage at allocated (idle) and autoscaling maximum (ceiling)",
            )
        )
    return lines


def _small_fixed(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    services = prices.services
    keys = len(_of(resources, "aws:kms/key:Key"))
    secrets = len(_of(resources, SECRET)) + sum(
        1
        for r in _of(resources, "aws:rds/instance:Instance")
        if _inputs(r).get("manageMasterUserPassword")
    )
    alarms = len(_of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm"))
    rows = [
        ("keys", f"{keys} KMS keys", keys * services["kms_key_month"], "per key-month"),
        (
            "secrets",
            f"{secrets} secret{'s' if secrets != 1 else ''}",
            secrets * services["secret_month"],
            "per secret-month",
        ),
        ("alarms", f"{alarms} metric alarms", alarms * services["alarm_month"], "per alarm"),
    ]
    return [Line(c, item, cost, cost, basis) for c, item, cost, basis in rows if cost]


def _log_kind(name: str) -> str:
    if name.startswith("/aws/eks/") and name.endswith("/containers"):
        return "containers"
    if name.startswith("/aws/eks/"):
        return "eks-control-plane"
    if name.startswith("/aws/cloudtrail/"):
        return "cloudtrail"
    if name.startswith("/aws/rds/"):
        return "rds"
    return "vpc-flow-logs" if "flow" in name else ""


def _logs(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    kinds = [_log_kind(str(_inputs(g).get("name") or "")) for g in _of(resources, LOG_GROUP)]
    gb = sum(prices.idle_log_gb.get(kind, 0.0) for kind in kinds)
    if not gb:
        return []
    month = gb * prices.services["logs_ingestion_gb"]
    return [
        Line(
            "logs",
            f"{len(kinds)} log groups, ~{gb:.0f} GB/month ingested",
            month,
            month,
            "assumed idle volumes per log group kind (price table)",
        )
    ]


@dataclass(frozen=True)
class Footprint:
    """CPU cores and GiB of memory that pods request."""

    cpu: float = 0.0
    memory: float = 0.0

    def __add__(self, other: Footprint) -> Footprint:
        return Footprint(self.cpu + other.cpu, self.memory + other.memory)

    def __mul__(self, factor: float) -> Footprint:
        return Footprint(self.cpu * factor, self.memory * factor)

    def beyond(self, capacity: Footprint) -> Footprint:
        """What of this does not fit in `capacity`."""
        return Footprint(max(0.0, self.cpu - capacity.cpu), max(0.0, self.memory - capacity.memory))


def _requested(node: Any) -> Footprint:
    """The requests under `node`, a chart's values or a pod spec, without descending into a
    nested workload (a map with its own `tolerations`: counted on its own)."""
    total = Footprint()
    if isinstance(node, list):
        for item in node:
            total += _requested(item)
    elif isinstance(node, Mapping):
        requests = node.get("requests")
        if isinstance(requests, Mapping):
            total += Footprint(
                _quantity(requests.get("cpu", 0)), _quantity(requests.get("memory", 0))
            )
        for key, value in node.items():
            if key != "requests" and not (isinstance(value, Mapping) and "tolerations" in value):
                total += _requested(value)
    return total


def _workloads(values: Any) -> Iterable[Mapping[str, Any]]:
    """Every map in a chart's values that places pods: the ones with `tolerations`."""
    if isinstance(values, Mapping):
        if "tolerations" in values:
            yield values
        for value in values.values():
            yield from _workloads(value)
    elif isinstance(values, list):
        for item in values:
            yield from _workloads(item)


def _on_system_nodes(tolerations: Any) -> bool:
    return any(t.get("key") == SYSTEM_TAINT_KEY for t in tolerations or [])


def _on_every_node(tolerations: Any) -> bool:
    return any(not t.get("key") and t.get("operator") == "Exists" for t in tolerations or [])


def _platform_footprint(
    resources: Sequence[Mapping[str, Any]], prices: Prices
) -> tuple[Footprint, Footprint]:
    """What runs with no job: on the system nodes (Kubeflow and the EKS add-ons from the price
    table, then every Deployment, StatefulSet and chart workload of the state that tolerates
    the system taint) and elsewhere (the ones that do not: they need a general-pool node)."""
    table = prices.platform
    platform = Footprint(table["kubeflow_cpu"], table["kubeflow_memory_gib"]) + Footprint(
        table["addons_cpu"], table["addons_memory_gib"]
    )
    elsewhere = Footprint()
    for type_ in (DEPLOYMENT, STATEFUL_SET):
        for workload in _of(resources, type_):
            spec = _inputs(workload).get("spec") or {}
            pod = (spec.get("template") or {}).get("spec") or {}
            requested = _requested(pod.get("containers") or []) * int(spec.get("replicas") or 1)
            if _on_system_nodes(pod.get("tolerations")):
                platform += requested
            else:
                elsewhere += requested
    for chart in _of(resources, CHART):
        for workload in _workloads(_inputs(chart).get("values") or {}):
            if _on_system_nodes(workload.get("tolerations")):
                platform += _requested(workload) * int(workload.get("replicas") or 1)
    return platform, elsewhere


def _node_agents(resources: Sequence[Mapping[str, Any]], prices: Prices) -> Footprint:
    """What every node gives its DaemonSets: the EKS add-ons' (price table) and the charts'
    that tolerate every taint."""
    table = prices.platform
    agents = Footprint(table["node_agents_cpu"], table["node_agents_memory_gib"])
    for chart in _of(resources, CHART):
        for workload in _workloads(_inputs(chart).get("values") or {}):
            if _on_every_node(workload.get("tolerations")):
                agents += _requested(workload)
    return agents


def _system_capacity(resources: Sequence[Mapping[str, Any]], prices: Prices) -> Footprint:
    """What the system nodes at their minimum size hold for pods beyond the node agents."""
    agents = _node_agents(resources, prices)
    total = Footprint()
    for group in _of(resources, "aws:eks/nodeGroup:NodeGroup"):
        inputs = _inputs(group)
        spec = prices.ec2.get(str(inputs["instanceTypes"][0]))
        if spec is None:
            raise CostError(
                f"system nodes: no price for {inputs['instanceTypes'][0]!r}; add it to "
                f"components/prices/{prices.region}.yaml"
            )
        node = Footprint(spec["vcpu"], spec["memory"]) * NODE_HEADROOM
        total += (node + agents * -1) * int(inputs["scalingConfig"]["minSize"])
    return total


def _general_pools(
    resources: Sequence[Mapping[str, Any]], prices: Prices, overflow: Footprint
) -> list[Line]:
    """`overflow`: what runs with no job and the system nodes do not hold."""
    pools = [
        p
        for p in _of(resources, NODE_POOL)
        if not (_inputs(p).get("spec") or {}).get("limits", {}).get(GPU)
    ]
    lines = []
    for pool in pools:
        types = _allowed_types(pool, prices, gpu=False)
        limit = float((_inputs(pool).get("spec") or {}).get("limits", {}).get("cpu") or 0)
        dearest = max(types, key=lambda t: prices.instance_hour(t) / prices.ec2[t]["vcpu"])
        per_vcpu = (
            prices.instance_hour(dearest, spot=_spot_only(pool)) / prices.ec2[dearest]["vcpu"]
        )
        name = _pool_name(pool)
        idle, what = 0.0, "scales to zero: the platform fits on the system nodes"
        if overflow.cpu or overflow.memory:
            spot = _spot_allowed(pool)
            fitting = [
                t
                for t in types
                if prices.ec2[t]["vcpu"] * NODE_HEADROOM >= overflow.cpu
                and prices.ec2[t]["memory"] * NODE_HEADROOM >= overflow.memory
            ]
            if not fitting:
                raise CostError(f"NodePool {name}: no priced type holds the platform's overflow")
            cheapest = min(fitting, key=lambda t: prices.instance_hour(t, spot=spot))
            idle = prices.month(prices.instance_hour(cheapest, spot=spot))
            what = (
                f"idle: 1 x {cheapest}{' spot' if spot else ''} for what the system nodes do not "
                f"hold ({overflow.cpu:.1f} vCPU, {overflow.memory:.1f} GiB requested)"
            )
            overflow = Footprint()  # one pool takes it
        lines.append(
            Line(
                "general pool" if name == "general" else f"general pool {name}",
                f"{what}; ceiling: {limit:.0f} vCPU",
                idle,
                prices.month(per_vcpu * limit),
                "team work only, from zero; ceiling at the pool's vCPU limit on its dearest family",
            )
        )
    return lines


def _warm_gpus(resources: Sequence[Mapping[str, Any]]) -> float:
    """GPUs the served models keep running with no request (their minimum replicas)."""
    total = 0.0
    for service in _of(resources, INFERENCE_SERVICE):
        predictor = (_inputs(service).get("spec") or {}).get("predictor") or {}
        limits = ((predictor.get("model") or {}).get("resources") or {}).get("limits") or {}
        total += float(predictor.get("minReplicas") or 0) * float(limits.get(GPU) or 0)
    return total


def _gpu_pools(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[Line]:
    pools = [
        p
        for p in _of(resources, NODE_POOL)
        if (_inputs(p).get("spec") or {}).get("limits", {}).get(GPU)
    ]
    warm = _warm_gpus(resources)
    lines = []
    for pool in pools:
        types = _allowed_types(pool, prices, gpu=True)
        spot = _spot_only(pool)
        per_gpu = gpu_hour_prices(prices, families=(), types=types, spot_only=spot)
        limit = float((_inputs(pool).get("spec") or {}).get("limits", {})[GPU])
        dearest = max(per_gpu, key=per_gpu.__getitem__)
        cheapest = min(per_gpu, key=per_gpu.__getitem__)
        inference = _pool_labels(pool).get("mlplat.io/workload") == "inference"
        held = min(warm, limit) if inference else 0.0
        warm -= held
        lines.append(
            Line(
                f"gpu pool {_pool_labels(pool).get('mlplat.io/gpu-pool', _pool_name(pool))}",
                f"{limit:.0f} GPUs at most ({', '.join(sorted({t.split('.')[0] for t in types}))}"
                f"{', spot' if spot else ''}); {held:.0f} kept warm",
                prices.month(per_gpu[cheapest] * held),
                prices.month(per_gpu[dearest] * limit),
                "scales to zero; idle is the served models' minimum replicas; ceiling at the "
                f"GPU limit on {dearest}",
            )
        )
    return lines


def _teams(resources: Sequence[Mapping[str, Any]], prices: Prices) -> list[TeamGpus]:
    """Each Kueue ClusterQueue's GPUs, priced at the lowest GPU-hour of the pools its flavors
    select (the price the environment check holds team budgets to)."""
    pools = [p for p in _of(resources, NODE_POOL) if facts.nodepool_gpu_limit(_inputs(p))]
    per_gpu: dict[str, float] = {}
    for flavor in (r for t in facts.RESOURCE_FLAVORS for r in _of(resources, t)):
        labels = (_inputs(flavor).get("spec") or {}).get("nodeLabels") or {}
        hours = [
            min(gpu_hour_prices(prices, families=(), types=types, spot_only=_spot_only(p)).values())
            for p in pools
            if labels and facts.nodepool_offers(_inputs(p), labels)
            for types in [_allowed_types(p, prices, gpu=True)]
        ]
        if hours:
            per_gpu[facts.metadata_name(_inputs(flavor))] = prices.month(min(hours))
    teams = []
    for queue in (r for t in facts.CLUSTER_QUEUES for r in _of(resources, t)):
        quotas = facts.gpu_quotas(_inputs(queue).get("spec") or {})
        nominal = sum(n for n, _ in quotas.values())
        borrowable = sum(b or 0 for _, b in quotas.values())
        teams.append(
            TeamGpus(
                facts.metadata_name(_inputs(queue)),
                nominal,
                borrowable,
                sum(n * per_gpu.get(f, 0.0) for f, (n, _) in quotas.items()),
                sum((n + (b or 0)) * per_gpu.get(f, 0.0) for f, (n, b) in quotas.items()),
            )
        )
    return teams


def estimate(resources: Sequence[Mapping[str, Any]], environment: str) -> Estimate:
    providers = [r for r in resources if r.get("type") == "pulumi:providers:aws"]
    region = str(_inputs(providers[0]).get("region")) if providers else ""
    if not region:
        raise CostError(f"{environment}: the state has no AWS provider with a region")
    prices = prices_for(region)
    platform, elsewhere = _platform_footprint(resources, prices)
    usable = _system_capacity(resources, prices)
    lines = [
        *_cluster(resources, prices),
        *_system_nodes(resources, prices, platform, usable),
        *_network(resources, prices),
        *_general_pools(resources, prices, platform.beyond(usable) + elsewhere),
        *_gpu_pools(resources, prices),
        *_databases(resources, prices),
        *_small_fixed(resources, prices),
        *_logs(resources, prices),
    ]
    nat = prices.month(prices.services["nat_gateway_hour"] + prices.services["public_ipv4_hour"])
    floor = sum(line.idle for line in lines if line.component in ("cluster", "system nodes")) + (
        nat if _of(resources, "aws:ec2/natGateway:NatGateway") else 0.0
    )
    teams = tuple(_teams(resources, prices))
    return Estimate(environment, region, prices.as_of, tuple(lines), floor, teams)


def read_state(path: Path) -> list[Mapping[str, Any]]:
    """The live resources of a checkpoint (old copies awaiting deletion cost nothing more)."""
    try:
        checkpoint = state.read(path)
    except state.StateError as error:
        raise CostError(str(error)) from None
    return [r for r in checkpoint.resources if not r["delete"]]


# --- rendering -----------------------------------------------------------------------------------


def _usd(value: float) -> str:
    return f"${value:,.0f}"


def markdown(estimates: Sequence[Estimate]) -> str:
    parts = []
    for e in estimates:
        parts += [
            f"### {e.environment}: {_usd(e.idle)} idle, {_usd(e.ceiling)} at the ceiling "
            f"(per month, {e.region} prices of {e.prices_as_of})",
            "",
            "| component | what | idle | ceiling |",
            "|---|---|---:|---:|",
            *(
                f"| {line.component} | {line.item} | {_usd(line.idle)} | {_usd(line.ceiling)} |"
                for line in e.lines
            ),
            f"| **total** | | **{_usd(e.idle)}** | **{_usd(e.ceiling)}** |",
            "",
            f"Idle is {e.idle / e.floor:.2f}x the floor ({_usd(e.floor)}: control plane, "
            f"minimum system nodes, one NAT gateway); GPU idle {_usd(e.gpu_idle)}. Dominant: "
            + ", ".join(
                f"{line.component} ({_usd(line.ceiling)})" for line in e.dominant("ceiling")
            )
            + f". Not estimated (usage-based): {'; '.join(e.usage_based)}.",
            "",
            *_team_rows(e),
        ]
    return "\n".join(parts)


def _team_rows(e: Estimate) -> list[str]:
    if not e.teams:
        return []
    return [
        "| team queue | nominal GPUs | borrowable GPUs | month at nominal | at full borrowing |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {t.queue} | {t.nominal} | {t.borrowable} | {_usd(t.nominal_usd)} | "
            f"{_usd(t.full_usd)} |"
            for t in e.teams
        ),
        "",
    ]


def as_json(estimates: Sequence[Estimate]) -> str:
    return json.dumps({"estimates": [e.as_dict() for e in estimates]}, indent=2)
