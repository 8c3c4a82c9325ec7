"""Checks that relate several fields of one environment, or an environment to its siblings.
They read the raw mapping, so they run (and report) even when an unrelated field is invalid;
each problem names the field to change."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from components.gpu_pools import efa_instance_types
from components.network import plan_subnets
from components.pricing import Prices, PriceTableError, gpu_hour_prices, load_prices
from stacks.environment.models import ENVIRONMENT_KEY, Problem, deploy_role_name, eks_regions


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


def consistency_problems(name: str, raw: Mapping[str, Any]) -> list[Problem]:
    """The checks across this environment's fields."""
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
    problems += _gpu_share_problems(raw)
    problems += _budget_problems(raw)
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
    """Team names unique."""
    teams = _at(raw, "teams")
    problems = []
    seen: set[Any] = set()
    for index, team in enumerate(teams if isinstance(teams, list) else []):
        if not isinstance(team, dict):
            continue
        if team.get("name") in seen:
            path = f"{ENVIRONMENT_KEY}.teams[{index}].name"
            problems.append(Problem(path, team.get("name"), "a name no other team has"))
        seen.add(team.get("name"))
    return problems


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _team_gpus(raw: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any], str, Mapping]]:
    """(team index, team, pool name, its GPUs there) for every well-formed team GPU entry."""
    teams = _at(raw, "teams")
    return [
        (index, team, str(pool), gpus)
        for index, team in enumerate(teams if isinstance(teams, list) else [])
        if isinstance(team, dict) and isinstance(team.get("gpus"), dict)
        for pool, gpus in team["gpus"].items()
        if isinstance(gpus, dict)
    ]


def _gpu_share_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Kueue's quotas against the pools: every team names pools that exist; per pool, the
    teams' nominal GPUs fit the pool's limit (the cohort can keep every guarantee at once), and
    no team's nominal plus borrowing exceeds it."""
    pools = _at(raw, "gpu", "pools")
    indexed = {
        p.get("name"): (i, p)
        for i, p in enumerate(pools if isinstance(pools, list) else [])
        if isinstance(p, dict)
    }
    problems = []
    nominal: dict[str, list[tuple[str, int]]] = {}
    for index, team, pool, gpus in _team_gpus(raw):
        path = f"{ENVIRONMENT_KEY}.teams[{index}].gpus.{pool}"
        if pool not in indexed:
            problems.append(
                Problem(
                    path,
                    pool,
                    f"the name of one of this environment's GPU pools {sorted(map(str, indexed))}",
                )
            )
            continue
        nominal.setdefault(pool, []).append((str(team.get("name")), _int(gpus.get("nominal"))))
        if indexed[pool][1].get("workload") == "inference":
            problems += _serving_share_problems(path, gpus)
        limit = indexed[pool][1].get("gpu_limit")
        ceiling = _int(gpus.get("nominal")) + _int(gpus.get("borrowing_limit"))
        if type(limit) is int and ceiling > limit:
            problems.append(
                Problem(
                    f"{path}.borrowing_limit",
                    gpus.get("borrowing_limit"),
                    f"at most {max(limit - _int(gpus.get('nominal')), 0)}: nominal plus "
                    f"borrowing within the pool's gpu_limit {limit}",
                )
            )
    for pool, shares in nominal.items():
        position, spec = indexed[pool]
        limit, total = spec.get("gpu_limit"), sum(gpus for _, gpus in shares)
        if type(limit) is int and total > limit:
            listed = ", ".join(f"{team} {gpus}" for team, gpus in shares)
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.gpu.pools[{position}].gpu_limit",
                    limit,
                    f"at least the teams' nominal GPUs in the pool, {total} ({listed}); or "
                    "lower their nominal quotas",
                )
            )
    return problems


def _serving_share_problems(path: str, gpus: Mapping[str, Any]) -> list[Problem]:
    """An inference pool holds each team's serving guarantee: nothing of it is lent (a
    borrower's serving, at the same priority, could not be reclaimed), so nothing is borrowed."""
    problems = []
    if _int(gpus.get("borrowing_limit")) != 0:
        problems.append(
            Problem(
                f"{path}.borrowing_limit",
                gpus.get("borrowing_limit"),
                "0: inference pools lend nothing, so a team serves on its nominal GPUs",
            )
        )
    if gpus.get("lending_limit") not in (None, 0):
        problems.append(
            Problem(
                f"{path}.lending_limit",
                gpus.get("lending_limit"),
                "0 or unset: a team's serving GPUs are never lent",
            )
        )
    return problems


def gpu_month_usd(pool: Mapping[str, Any], prices: Prices) -> float | None:
    """What one GPU of a pool costs for a month at the pool's lowest GPU-hour price (spot
    where it runs spot only; EFA sizes only where it has EFA), or None: nothing priced."""
    families, types = pool.get("instance_families") or [], pool.get("instance_types") or []
    if pool.get("efa") is True:  # the pool launches only the sizes with an EFA
        families, types = [], efa_instance_types(families, types)
    per_gpu = gpu_hour_prices(
        prices, families=families, types=types, spot_only=pool.get("capacity_types") == ["spot"]
    )
    return prices.month(min(per_gpu.values())) if per_gpu else None


def nominal_gpu_month_usd(
    team: Mapping[str, Any], pools: list[Any], prices: Prices
) -> dict[str, float]:
    """Pool -> what the team's nominal GPUs there cost for a month at the pool's lowest
    GPU-hour price: the least the team spends using what it is guaranteed."""
    specs = {p.get("name"): p for p in pools if isinstance(p, dict)}
    costs = {}
    for pool, gpus in (team.get("gpus") or {}).items():
        spec = specs.get(pool)
        if not isinstance(spec, dict) or not isinstance(gpus, dict):
            continue
        month = gpu_month_usd(spec, prices)
        if month is not None and _int(gpus.get("nominal")):
            costs[pool] = month * _int(gpus.get("nominal"))
    return costs


def _budget_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Per team, its nominal GPUs for a month fit its budget, or the file says why not."""
    region, pools, teams = _at(raw, "region"), _at(raw, "gpu", "pools"), _at(raw, "teams")
    if not isinstance(region, str) or not isinstance(pools, list) or not isinstance(teams, list):
        return []
    try:
        prices = load_prices(region)
    except PriceTableError:
        return []  # the region's own check names it; nothing to price against
    problems = []
    for index, team in enumerate(teams):
        if (
            not isinstance(team, dict)
            or str(team.get("budget_below_gpu_cost_reason") or "").strip()
        ):
            continue
        budget, costs = team.get("monthly_budget_usd"), nominal_gpu_month_usd(team, pools, prices)
        if type(budget) is int and costs and budget < (total := sum(costs.values())):
            itemized = ", ".join(f"{pool} ${cost:,.0f}" for pool, cost in sorted(costs.items()))
            problems.append(
                Problem(
                    f"{ENVIRONMENT_KEY}.teams[{index}].monthly_budget_usd",
                    budget,
                    f"at least ${total:,.0f}, what its nominal GPUs cost for a month at the "
                    f"pools' lowest GPU-hour price ({itemized}, price table of {prices.as_of}); "
                    "or lower nominal GPUs, or say why in budget_below_gpu_cost_reason",
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
    inference_pools = {
        p.get("name")
        for p in (pools if isinstance(pools, list) else [])
        if isinstance(p, dict) and p.get("workload") == "inference"
    }
    # Serving runs on guaranteed capacity: a replica fits the team's nominal inference GPUs.
    quotas: dict[str, int] = {
        str(t.get("name")): 0
        for t in (teams if isinstance(teams, list) else [])
        if isinstance(t, dict)
    }
    for _, owner, pool, share in _team_gpus(raw):
        if pool in inference_pools:
            quotas[str(owner.get("name"))] += _int(share.get("nominal"))
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
        elif type(gpus) is int and gpus > (quota := quotas[team]):
            problems.append(
                Problem(
                    f"{path}.gpus",
                    gpus,
                    f"at most team {team!r}'s nominal GPUs on inference pools, {quota} "
                    "(serving runs on guaranteed capacity)",
                )
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


def cross_environment_problems(
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
