from collections.abc import Sequence

from policies import facts
from policies.framework import Config, Findings, Resource, StackFindings, each, of_types, stack_rule

QUOTA_KEY = f"requests.{facts.GPU_RESOURCE}"


@stack_rule(
    name="kueue-team-quota-ceiling",
    types=[*facts.CLUSTER_QUEUES, facts.RESOURCE_QUOTA],
    control="FIN-05",
    description="A team's ClusterQueue admits from its namespace alone, borrows within a limit, "
    "and the namespace's ResourceQuota on GPUs is exactly its nominal plus borrowing.",
    severity="high",
    remediation="Select the team's namespace by kubernetes.io/metadata.name, set a "
    "borrowingLimit on every GPU flavor, and a ResourceQuota requests.nvidia.com/gpu equal to "
    "the queue's nominal plus borrowing GPUs.",
)
def check(resources: Sequence[Resource], config: Config) -> StackFindings:
    quotas = list(of_types(resources, facts.RESOURCE_QUOTA))
    yield from each(of_types(resources, *facts.CLUSTER_QUEUES), lambda q: _queue(q, quotas))


def _queue(queue: Resource, quotas: list[Resource]) -> Findings:
    name, spec = facts.metadata_name(queue.props), queue.props.get("spec") or {}
    namespace = facts.queue_namespace(spec)
    if namespace is None:
        yield f"ClusterQueue {name!r} admits from namespaces chosen by more than one name"
        return
    ceiling = 0
    for flavor, (nominal, borrowing) in sorted(facts.gpu_quotas(spec).items()):
        if borrowing is None and facts.cohort(spec):
            yield (
                f"ClusterQueue {name!r} borrows GPUs of flavor {flavor!r} with no "
                "borrowingLimit: as many as its cohort has idle"
            )
        ceiling += nominal + (borrowing or 0)
    hard = [
        (
            facts.metadata_name(q.props),
            facts.number(((q.props.get("spec") or {}).get("hard") or {}).get(QUOTA_KEY)),
        )
        for q in quotas
        if (q.props.get("metadata") or {}).get("namespace") == namespace
        and QUOTA_KEY in (((q.props.get("spec") or {}).get("hard")) or {})
    ]
    if not hard:
        yield (
            f"namespace {namespace!r} has no ResourceQuota on {QUOTA_KEY}: a GPU pod that "
            f"bypasses ClusterQueue {name!r} has no ceiling"
        )
    for quota, gpus in hard:
        if gpus != ceiling:
            yield (
                f"ResourceQuota {namespace}/{quota} allows {gpus} GPUs; ClusterQueue {name!r} "
                f"admits up to {ceiling} (nominal plus borrowing): they must be equal"
            )


RULE = check
