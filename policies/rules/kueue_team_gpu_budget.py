from collections.abc import Sequence

from policies import facts
from policies.framework import (
    Config,
    Findings,
    Props,
    Resource,
    StackFindings,
    each,
    of_types,
    stack_rule,
)


@stack_rule(
    name="kueue-team-gpu-budget",
    types=[*facts.CLUSTER_QUEUES, facts.NAMESPACE, facts.BUDGET],
    control="FIN-06",
    description="A team's budget covers a month of the GPUs its queue guarantees, at each "
    "pool's lowest GPU-hour price, unless the environment says why it may not.",
    severity="medium",
    remediation="Raise teams[].monthly_budget_usd, lower the team's nominal GPUs, or give "
    "teams[].budget_below_gpu_cost_reason.",
    config_schema={
        # flavor (pool) -> USD a GPU of it costs for a month at its lowest GPU-hour price
        "gpuMonthUsd": {"type": "object"},
        # team -> why its budget may be below its nominal GPUs' month
        "gpuBudgetReasons": {"type": "object", "default": {}},
    },
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    teams = {
        facts.metadata_name(n.props): str(
            ((n.props.get("metadata") or {}).get("labels") or {}).get(facts.TEAM_LABEL) or ""
        )
        for n in of_types(resources, facts.NAMESPACE)
    }
    budgets: dict[str, list[float]] = {}
    for budget in of_types(resources, facts.BUDGET):
        for team in _teams_filtered(budget.props):
            budgets.setdefault(team, []).append(float(budget.props.get("limitAmount") or 0))
    yield from each(
        of_types(resources, *facts.CLUSTER_QUEUES), lambda q: _queue(q, teams, budgets, config)
    )


def _teams_filtered(props: Props) -> list[str]:
    """The teams a budget is filtered to, by their cost allocation tag."""
    prefix = f"user:{facts.TEAM_LABEL}$"
    return [
        str(value).removeprefix(prefix)
        for cost_filter in facts.as_list(props.get("costFilters"))
        if cost_filter.get("name") == "TagKeyValue"
        for value in facts.as_list(cost_filter.get("values"))
        if str(value).startswith(prefix)
    ]


def _queue(
    queue: Resource, teams: dict[str, str], budgets: dict[str, list[float]], config: Config
) -> Findings:
    name, spec = facts.metadata_name(queue.props), queue.props.get("spec") or {}
    team = teams.get(facts.queue_namespace(spec) or "", "")
    if not team:
        return  # not a team's queue (kueue-team-quota-ceiling judges its selector)
    prices, cost = config["gpuMonthUsd"] or {}, 0.0
    for flavor, (nominal, _) in sorted(facts.gpu_quotas(spec).items()):
        if nominal and flavor not in prices:
            yield f"ClusterQueue {name!r}: no GPU price for flavor {flavor!r} in gpuMonthUsd"
            return
        cost += nominal * float(prices.get(flavor) or 0)
    if not cost or str((config["gpuBudgetReasons"] or {}).get(team) or "").strip():
        return
    if team not in budgets:
        yield (
            f"team {team!r} has no budget filtered on its {facts.TEAM_LABEL} tag, for "
            f"${cost:,.0f} a month of nominal GPUs"
        )
    elif min(budgets[team]) < cost:
        yield (
            f"the budget of team {team!r}, ${min(budgets[team]):,.0f}, is below ${cost:,.0f}: a "
            f"month of the nominal GPUs ClusterQueue {name!r} guarantees"
        )


RULE = check
