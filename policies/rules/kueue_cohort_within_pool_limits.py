from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule


@stack_rule(
    name="kueue-cohort-within-pool-limits",
    types=[*facts.RESOURCE_FLAVORS, *facts.CLUSTER_QUEUES, facts.NODE_POOL],
    control="FIN-04",
    description="Per GPU flavor, the nominal GPUs a Kueue cohort guarantees fit within the "
    "limits of the NodePools the flavor selects.",
    severity="high",
    remediation="Lower the teams' nominal GPUs on the flavor (teams[].gpus.<pool>.nominal) or "
    "raise the pool's gpu_limit, and give each flavor the labels of exactly the GPU NodePools "
    "it stands for.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    pools = list(of_types(resources, facts.NODE_POOL))
    queues = list(of_types(resources, *facts.CLUSTER_QUEUES))
    yield from each(
        of_types(resources, *facts.RESOURCE_FLAVORS), lambda f: _flavor(f, pools, queues)
    )


def _flavor(flavor: Resource, pools: list[Resource], queues: list[Resource]) -> Findings:
    name = facts.metadata_name(flavor.props)
    labels = (flavor.props.get("spec") or {}).get("nodeLabels") or {}
    selected = [p for p in pools if facts.nodepool_offers(p.props, labels)]
    limits = [facts.nodepool_gpu_limit(p.props) for p in selected]
    if not selected or not labels:
        yield f"flavor {name!r} selects no NodePool by its nodeLabels: what it admits has no pool"
        return
    if None in limits:
        return  # a pool without a GPU limit: karpenter-nodepool-gpu-limit names it
    capacity = sum(limit or 0 for limit in limits)
    cohorts: dict[str, list[tuple[str, int]]] = {}
    for queue in queues:
        spec = queue.props.get("spec") or {}
        nominal, _ = facts.gpu_quotas(spec).get(name, (0, None))
        if nominal:
            cohort = facts.cohort(spec) or facts.metadata_name(queue.props)
            cohorts.setdefault(cohort, []).append((facts.metadata_name(queue.props), nominal))
    for cohort, shares in sorted(cohorts.items()):
        total = sum(gpus for _, gpus in shares)
        if total > capacity:
            listed = ", ".join(f"{queue} {gpus}" for queue, gpus in shares)
            yield (
                f"cohort {cohort!r} guarantees {total} GPUs on flavor {name!r} ({listed}); its "
                f"NodePools hold at most {capacity}"
            )


RULE = check
