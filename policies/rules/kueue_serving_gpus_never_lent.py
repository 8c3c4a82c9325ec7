from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

WORKLOAD_LABEL = "mlplat.io/workload"


@stack_rule(
    name="kueue-serving-gpus-never-lent",
    types=[*facts.RESOURCE_FLAVORS, *facts.CLUSTER_QUEUES, facts.NODE_POOL],
    control="FIN-08",
    description="Serving keeps its GPUs: on a flavor of the inference NodePools a team queue "
    "lends none of its nominal GPUs and borrows none (a borrower's serving pods, at the same "
    "priority, could not be reclaimed), and the flavor declares a nodeTaint, so Kueue gives it "
    "only to pods that tolerate it, never to a GPU pod that names no pool.",
    severity="high",
    remediation="Give the team's inference pool only `nominal` (teams[].gpus.<pool>): the "
    "ClusterQueue then sets lendingLimit 0 and borrowingLimit 0 on that flavor; keep the "
    "flavor's `mlplat.io/workload=inference:NoSchedule` nodeTaint, which serving pods tolerate.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    flavors = _serving_flavors(resources)
    yield from each(flavors, _flavor)
    serving = {facts.metadata_name(f.props) for f in flavors}
    yield from each(of_types(resources, *facts.CLUSTER_QUEUES), lambda q: _queue(q, serving))


def _serving_flavors(resources: Sequence[Resource]) -> list[Resource]:
    """Flavors whose nodeLabels some inference NodePool offers: the pool decides, not a label
    the flavor could leave out."""
    inference = [
        p
        for p in of_types(resources, facts.NODE_POOL)
        if facts.nodepool_offers(p.props, {WORKLOAD_LABEL: "inference"})
    ]
    return [
        f
        for f in of_types(resources, *facts.RESOURCE_FLAVORS)
        if any(
            facts.nodepool_offers(p.props, (f.props.get("spec") or {}).get("nodeLabels") or {})
            for p in inference
        )
    ]


def _flavor(flavor: Resource) -> Findings:
    """Kueue assigns a flavor only to pod sets that tolerate its NoSchedule and NoExecute
    nodeTaints (PreferNoSchedule is ignored)."""
    taints = facts.as_list((flavor.props.get("spec") or {}).get("nodeTaints"))
    if not any(t.get("effect") in ("NoSchedule", "NoExecute") for t in taints):
        yield (
            f"flavor {facts.metadata_name(flavor.props)!r} of the inference pools declares no "
            "NoSchedule nodeTaint: Kueue gives serving's GPUs to any GPU pod that names no pool"
        )


def _queue(queue: Resource, serving: set[str]) -> Findings:
    name, spec = facts.metadata_name(queue.props), queue.props.get("spec") or {}
    for group in facts.as_list(spec.get("resourceGroups")):
        for flavor in facts.as_list(group.get("flavors")):
            if str(flavor.get("name")) not in serving:
                continue
            for quota in facts.as_list(flavor.get("resources")):
                if quota.get("name") != facts.GPU_RESOURCE:
                    continue
                lending, borrowing = quota.get("lendingLimit"), quota.get("borrowingLimit")
                nominal = facts.number(quota.get("nominalQuota"))
                if nominal and (lending is None or facts.number(lending) != 0):
                    lent = "all it leaves idle" if lending is None else facts.number(lending)
                    yield (
                        f"ClusterQueue {name!r} lends serving GPUs of flavor "
                        f"{flavor.get('name')!r} ({lent} of {nominal}): lendingLimit must be 0"
                    )
                if facts.cohort(spec) and (borrowing is None or facts.number(borrowing) != 0):
                    took = "without limit" if borrowing is None else facts.number(borrowing)
                    yield (
                        f"ClusterQueue {name!r} borrows serving GPUs of flavor "
                        f"{flavor.get('name')!r} ({took}): borrowingLimit must be 0"
                    )


RULE = check
