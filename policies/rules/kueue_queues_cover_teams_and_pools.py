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

DEFAULT_QUEUE = "default"


@stack_rule(
    name="kueue-queues-cover-teams-and-pools",
    types=[facts.NAMESPACE, *facts.LOCAL_QUEUES, facts.NODE_POOL, *facts.RESOURCE_FLAVORS],
    control="FIN-07",
    description="Every team namespace has Kueue's default LocalQueue, and every GPU NodePool "
    "a ResourceFlavor, so no GPU work or capacity sits outside the queues.",
    severity="high",
    remediation="Deploy Kueue with a flavor per GPU pool and a `default` LocalQueue in every "
    "namespace labelled mlplat.io/team (the Kueue component does both).",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    queued = {
        str((q.props.get("metadata") or {}).get("namespace"))
        for q in of_types(resources, *facts.LOCAL_QUEUES)
        if facts.metadata_name(q.props) == DEFAULT_QUEUE
    }
    flavors = [
        (f.props.get("spec") or {}).get("nodeLabels") or {}
        for f in of_types(resources, *facts.RESOURCE_FLAVORS)
    ]
    yield from each(of_types(resources, facts.NAMESPACE), lambda n: _namespace(n, queued))
    yield from each(of_types(resources, facts.NODE_POOL), lambda p: _pool(p, flavors))


def _namespace(namespace: Resource, queued: set[str]) -> Findings:
    labels = (namespace.props.get("metadata") or {}).get("labels") or {}
    name = facts.metadata_name(namespace.props)
    if facts.TEAM_LABEL in labels and name not in queued:
        yield (
            f"team namespace {name!r} has no `{DEFAULT_QUEUE}` LocalQueue: its GPU work has no "
            "queue to be admitted through"
        )


def _pool(pool: Resource, flavors: list[Props]) -> Findings:
    if facts.nodepool_gpu_limit(pool.props) is None and not _gpu(pool.props):
        return
    if not any(labels and facts.nodepool_offers(pool.props, labels) for labels in flavors):
        yield (
            f"GPU NodePool {facts.metadata_name(pool.props)!r} has no ResourceFlavor: its GPUs "
            "are outside every team's queue"
        )


def _gpu(props: Props) -> bool:
    template = ((props.get("spec") or {}).get("template") or {}).get("spec") or {}
    taints = template.get("taints")
    return any(t.get("key") == facts.GPU_RESOURCE for t in facts.as_list(taints))


RULE = check
