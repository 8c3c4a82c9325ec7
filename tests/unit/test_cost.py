"""`mlplat cost`: the estimate's lines from a state, and bad input named without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.pricing import load_prices
from mlplat.cli import app
from mlplat.cost import CostError, estimate, read_state

PRICES = load_prices("eu-west-1")
H = PRICES.hours


def res(type_: str, name: str, inputs: dict, outputs: dict | None = None) -> dict:
    return {
        "urn": f"urn:pulumi:dev::mlplat::{type_}::{name}",
        "type": type_,
        "custom": True,
        "inputs": inputs,
        "outputs": outputs or {},
    }


PROVIDER = res("pulumi:providers:aws", "aws", {"region": "eu-west-1"})


def node_pool(name: str, families: list[str], capacity: list[str], limits: dict, labels=None):
    return res(
        "kubernetes:karpenter.sh/v1:NodePool",
        name,
        {
            "metadata": {"name": name},
            "spec": {
                "limits": limits,
                "template": {
                    "metadata": {"labels": labels or {}},
                    "spec": {
                        "requirements": [
                            {
                                "key": "karpenter.k8s.aws/instance-family",
                                "operator": "In",
                                "values": families,
                            },
                            {
                                "key": "karpenter.sh/capacity-type",
                                "operator": "In",
                                "values": capacity,
                            },
                        ]
                    },
                },
            },
        },
    )


def served(min_replicas: int, gpus: int) -> dict:
    return res(
        "kubernetes:serving.kserve.io/v1beta1:InferenceService",
        "llm",
        {
            "spec": {
                "predictor": {
                    "minReplicas": min_replicas,
                    "model": {"resources": {"limits": {"nvidia.com/gpu": str(gpus)}}},
                }
            }
        },
    )


INFERENCE = node_pool(
    "gpu-inference",
    ["g6"],
    ["on-demand"],
    {"nvidia.com/gpu": 8},
    {"mlplat.io/workload": "inference", "mlplat.io/gpu-pool": "inference"},
)


def line(lines, component):
    (found,) = [entry for entry in lines if entry.component == component]
    return found


def test_gpu_pools_cost_nothing_idle_and_their_limit_on_the_dearest_gpu():
    result = estimate([PROVIDER, INFERENCE, served(0, 1)], "dev")
    pool = line(result.lines, "gpu pool inference")
    assert pool.idle == 0 and result.gpu_idle == 0
    dearest_per_gpu = max(
        PRICES.instance_hour(t) / PRICES.ec2[t]["gpus"] for t in PRICES.ec2 if t.startswith("g6.")
    )
    assert pool.ceiling == pytest.approx(8 * dearest_per_gpu * H)


def test_a_warm_replica_shows_as_gpu_idle_cost():
    result = estimate([PROVIDER, INFERENCE, served(1, 2)], "prod")
    cheapest_per_gpu = min(
        PRICES.instance_hour(t) / PRICES.ec2[t]["gpus"] for t in PRICES.ec2 if t.startswith("g6.")
    )
    assert result.gpu_idle == pytest.approx(2 * cheapest_per_gpu * H)


def test_spot_only_pools_are_priced_at_the_assumed_discount():
    spot = node_pool(
        "gpu-dev", ["g6"], ["spot"], {"nvidia.com/gpu": 2}, {"mlplat.io/gpu-pool": "d"}
    )
    on_demand = node_pool("gpu-od", ["g6"], ["on-demand"], {"nvidia.com/gpu": 2}, {})
    spot_line = line(estimate([PROVIDER, spot], "dev").lines, "gpu pool d")
    on_demand_line = line(estimate([PROVIDER, on_demand], "dev").lines, "gpu pool gpu-od")
    assert spot_line.ceiling == pytest.approx(on_demand_line.ceiling * (1 - PRICES.spot_discount))


def test_multi_az_doubles_the_database_and_storage_grows_to_its_maximum():
    database = res(
        "aws:rds/instance:Instance",
        "db",
        {
            "instanceClass": "db.r7g.large",
            "multiAz": True,
            "allocatedStorage": 100,
            "maxAllocatedStorage": 400,
            "manageMasterUserPassword": True,
        },
    )
    result = estimate([PROVIDER, database], "prod")
    db = line(result.lines, "database")
    compute = 2 * PRICES.rds["db.r7g.large"] * PRICES.factor * H
    assert db.idle == pytest.approx(compute + 100 * 2 * PRICES.services["rds_gp3_gb_month"])
    assert db.ceiling == pytest.approx(compute + 400 * 2 * PRICES.services["rds_gp3_gb_month"])
    assert line(result.lines, "secrets").idle == PRICES.services["secret_month"]


def system_group(types: list[str], size: int, capacity: str = "ON_DEMAND") -> dict:
    return res(
        "aws:eks/nodeGroup:NodeGroup",
        "system",
        {
            "instanceTypes": types,
            "capacityType": capacity,
            "scalingConfig": {"minSize": size, "maxSize": size + 1},
        },
    )


def test_the_floor_is_control_plane_minimum_system_nodes_and_one_nat():
    state = [
        PROVIDER,
        res("aws:eks/cluster:Cluster", "c", {}),
        system_group(["m7i.large"], 2),
        res("aws:ec2/natGateway:NatGateway", "nat-a", {}),
        res("aws:ec2/natGateway:NatGateway", "nat-b", {}),
    ]
    result = estimate(state, "dev")
    nat = (PRICES.services["nat_gateway_hour"] + PRICES.services["public_ipv4_hour"]) * H
    system = 2 * PRICES.instance_hour("m7i.large") * H
    assert result.floor == pytest.approx(0.10 * H + system + nat)
    assert result.idle == pytest.approx(0.10 * H + system + 2 * nat)


GENERAL = node_pool("general", ["m7i", "c7i"], ["spot", "on-demand"], {"cpu": 64})
TABLE = PRICES.platform
# Kubeflow and the EKS add-ons (the price table), before anything the state adds.
BASE_CPU = TABLE["kubeflow_cpu"] + TABLE["addons_cpu"]


def workload(type_: str, name: str, replicas: int, cpu: str, memory: str, tolerations=()):
    pod = {
        "containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}],
        "tolerations": list(tolerations),
    }
    return res(type_, name, {"spec": {"replicas": replicas, "template": {"spec": pod}}})


SYSTEM = [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]


def test_the_general_pool_scales_to_zero_when_the_platform_fits_on_the_system_nodes():
    result = estimate([PROVIDER, system_group(["m7i.xlarge"], 3), GENERAL], "prod")
    general = line(result.lines, "general pool")
    assert general.idle == 0
    assert general.item.startswith("scales to zero: the platform fits on the system nodes")
    system = line(result.lines, "system nodes")
    assert system.idle == pytest.approx(3 * PRICES.instance_hour("m7i.xlarge") * H)
    # 3 x (80 % of 4 vCPU less the node agents)
    usable = 3 * (4 * 0.8 - TABLE["node_agents_cpu"])
    assert f"request {BASE_CPU:.1f} of {usable:.1f} usable vCPU" in system.item


def test_what_the_system_nodes_cannot_hold_is_priced_on_the_cheapest_general_node():
    result = estimate([PROVIDER, system_group(["m7i.large"], 2), GENERAL], "dev")
    general = line(result.lines, "general pool")
    overflow = BASE_CPU - 2 * (2 * 0.8 - TABLE["node_agents_cpu"])
    assert f"({overflow:.1f} vCPU" in general.item
    # more than 80 % of a large's 2 vCPU: the cheapest 4-vCPU type, at spot
    assert general.item.startswith("idle: 1 x c7i.xlarge spot for what the system nodes")
    assert general.idle == pytest.approx(PRICES.instance_hour("c7i.xlarge", spot=True) * H)


def test_only_workloads_that_tolerate_the_system_taint_count_on_the_system_nodes():
    placed = workload("kubernetes:apps/v1:Deployment", "mlflow", 2, "250m", "512Mi", SYSTEM)
    team = workload("kubernetes:apps/v1:StatefulSet", "team", 1, "3", "1Gi")
    state = [PROVIDER, system_group(["m7i.xlarge"], 3), GENERAL, placed]
    system = line(estimate(state, "prod").lines, "system nodes")
    assert f"request {BASE_CPU + 0.5:.1f} of" in system.item
    general = line(estimate([*state, team], "prod").lines, "general pool")
    assert "(3.0 vCPU, 1.0 GiB requested)" in general.item  # the team's pod needs a node


def test_chart_workloads_count_with_their_replicas_and_node_agents_on_every_node():
    values = {
        "replicas": 2,
        "tolerations": SYSTEM,
        "controller": {"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}},
        # a nested workload with its own placement counts once, on its own
        "webhook": {"tolerations": SYSTEM, "resources": {"requests": {"cpu": "1", "memory": 0}}},
    }
    agent = {"tolerations": [{"operator": "Exists"}], "resources": {"requests": {"cpu": "1"}}}
    charts = [
        res("kubernetes:helm.sh/v4:Chart", "karpenter", {"values": values}),
        res("kubernetes:helm.sh/v4:Chart", "fluent-bit", {"values": agent}),
    ]
    result = estimate([PROVIDER, system_group(["m7i.2xlarge"], 2), GENERAL, *charts], "prod")
    system = line(result.lines, "system nodes")
    usable = 2 * (8 * 0.8 - TABLE["node_agents_cpu"] - 1)
    assert f"request {BASE_CPU + 2:.1f} of {usable:.1f} usable vCPU" in system.item


def test_spot_system_nodes_are_priced_at_the_assumed_discount():
    group = system_group(["m7i.xlarge", "m7a.xlarge"], 3, "SPOT")
    system = line(estimate([PROVIDER, group], "dev").lines, "system nodes")
    assert system.idle == pytest.approx(3 * PRICES.instance_hour("m7i.xlarge", spot=True) * H)
    assert system.item.startswith("3-4 x m7i.xlarge spot")


def test_an_unpriced_type_is_named_with_where_to_add_it():
    pool = node_pool("gpu-x", ["p5"], ["on-demand"], {"nvidia.com/gpu": 8}, {})
    with pytest.raises(CostError, match=r"NodePool gpu-x: no priced instance type among \['p5'\]"):
        estimate([PROVIDER, pool], "dev")
    with pytest.raises(CostError, match="no price table for region 'ap-east-9'"):
        estimate([res("pulumi:providers:aws", "aws", {"region": "ap-east-9"})], "dev")


def test_a_missing_state_exits_2_with_the_hint(tmp_path):
    result = CliRunner().invoke(app, ["cost", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        "cannot read the state (FileNotFoundError); run `mlplat synth dev` first" in result.output
    )
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_state_is_named(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"resources": []}')
    with pytest.raises(CostError, match=r"state.json: version: got null; expected a checkpoint"):
        read_state(Path(path))


def test_requests_in_decimal_units_count_and_a_bad_one_is_named():
    chart = res(
        "kubernetes:helm.sh/v4:Chart",
        "c",
        {
            "values": {
                "tolerations": SYSTEM,
                "resources": {"requests": {"cpu": "1", "memory": "1G"}},
            }
        },
    )
    state = [PROVIDER, system_group(["m7i.2xlarge"], 2), chart]
    system = line(estimate(state, "prod").lines, "system nodes")
    base_memory = TABLE["kubeflow_memory_gib"] + TABLE["addons_memory_gib"]
    assert f"{base_memory + 1e9 / 2**30:.0f} of" in system.item
    chart["inputs"]["values"]["resources"]["requests"]["cpu"] = "lots"
    with pytest.raises(CostError, match=r"resource request 'lots': expected a Kubernetes quantity"):
        estimate(state, "prod")


def test_each_team_queue_is_priced_at_nominal_and_at_full_borrowing():
    """A queue's GPUs at the lowest GPU-hour of the pool its flavor selects: g6.xlarge, spot."""
    pool = node_pool(
        "gpu-a", ["g6"], ["spot"], {"nvidia.com/gpu": 4}, labels={"mlplat.io/gpu-pool": "a"}
    )
    flavor = res(
        "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor",
        "flavor-a",
        {"metadata": {"name": "a"}, "spec": {"nodeLabels": {"mlplat.io/gpu-pool": "a"}}},
    )
    quota = {"name": "nvidia.com/gpu", "nominalQuota": 2, "borrowingLimit": 1}
    queue = res(
        "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue",
        "team-x",
        {
            "metadata": {"name": "team-x"},
            "spec": {"resourceGroups": [{"flavors": [{"name": "a", "resources": [quota]}]}]},
        },
    )
    (team,) = estimate([PROVIDER, pool, flavor, queue], "dev").teams
    month = PRICES.month(PRICES.instance_hour("g6.xlarge", spot=True))
    assert (team.queue, team.nominal, team.borrowable) == ("team-x", 2, 1)
    assert team.nominal_usd == pytest.approx(2 * month)
    assert team.full_usd == pytest.approx(3 * month)


def test_prod_prices_its_team_queues_as_the_environment_check_does(tmp_path):
    from mlplat.synth import synthesize
    from stacks.environment import load_environment
    from stacks.environment.cross_checks import nominal_gpu_month_usd

    state = synthesize("prod").state["deployment"]["resources"]
    spec = load_environment("prod")
    pools = [p.model_dump() for p in spec.gpu.pools]
    expected = {
        f"team-{t.name}": sum(nominal_gpu_month_usd(t.model_dump(), pools, PRICES).values())
        for t in spec.teams
    }
    got = {t.queue: t.nominal_usd for t in estimate(state, "prod").teams}
    assert got == pytest.approx(expected)
