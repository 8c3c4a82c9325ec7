"""Kueue's GPU governance rule fixtures: quotas against the pools, the namespaces' ceilings,
the budgets, and queue coverage, over resources shaped like the ones the Kueue, Teams, GpuPools
and CostControls components make."""

from __future__ import annotations

import copy

from tests.policies.cases import UNKNOWN_NUMBER, UNKNOWN_STRING, StackCase, resource

CQ = "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"
FLAVOR = "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor"
LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
BUDGET = "aws:budgets/budget:Budget"
GPU = "nvidia.com/gpu"
GPU_TAINT = {"key": GPU, "value": "true", "effect": "NoSchedule"}


def node_pool(name: str, limit=8, capacity=("on-demand",), workload="training"):
    return resource(
        NODE_POOL,
        f"pool-{name}",
        {
            "metadata": {"name": f"gpu-{name}"},
            "spec": {
                "template": {
                    "metadata": {
                        "labels": {"mlplat.io/gpu-pool": name, "mlplat.io/workload": workload}
                    },
                    "spec": {
                        "taints": [GPU_TAINT],
                        "requirements": [
                            {
                                "key": "karpenter.sh/capacity-type",
                                "operator": "In",
                                "values": list(capacity),
                            }
                        ],
                    },
                },
                "limits": {GPU: limit, "cpu": 96},
            },
        },
    )


SERVING_TAINT = {"key": "mlplat.io/workload", "value": "inference", "effect": "NoSchedule"}


def flavor(name: str, *, taints=(), **labels):
    spec = {"nodeLabels": labels or {"mlplat.io/gpu-pool": name}, "tolerations": [GPU_TAINT]}
    if taints:
        spec["nodeTaints"] = list(taints)
    return resource(FLAVOR, f"flavor-{name}", {"metadata": {"name": name}, "spec": spec})


def queue(team: str, quotas: dict, *, cohort="mlplat-staging", selector=None):
    """quotas: flavor -> (nominal, borrowing limit or None[, lending limit])."""
    flavors = [
        {
            "name": f,
            "resources": [
                {
                    "name": GPU,
                    "nominalQuota": q[0],
                    **({} if q[1] is None else {"borrowingLimit": q[1]}),
                    **({"lendingLimit": q[2]} if len(q) > 2 else {}),
                }
            ],
        }
        for f, q in quotas.items()
    ]
    spec = {
        "cohortName": cohort,
        "namespaceSelector": selector
        if selector is not None
        else {"matchLabels": {"kubernetes.io/metadata.name": f"team-{team}"}},
        "resourceGroups": [{"coveredResources": [GPU], "flavors": flavors}],
    }
    return resource(CQ, f"cq-{team}", {"metadata": {"name": f"team-{team}"}, "spec": spec})


def namespace(team: str):
    return resource(
        NAMESPACE,
        f"ns-{team}",
        {"metadata": {"name": f"team-{team}", "labels": {"mlplat.io/team": team}}},
    )


def quota(team: str, gpus):
    return resource(
        QUOTA,
        f"quota-{team}",
        {
            "metadata": {"name": "team-quota", "namespace": f"team-{team}"},
            "spec": {"hard": {f"requests.{GPU}": gpus, "requests.cpu": "32"}},
        },
    )


def local_queue(team: str, name="default"):
    return resource(
        LOCAL_QUEUE,
        f"lq-{team}",
        {
            "metadata": {"name": name, "namespace": f"team-{team}"},
            "spec": {"clusterQueue": f"team-{team}"},
        },
    )


def budget(team: str, usd="2500"):
    return resource(
        BUDGET,
        f"budget-{team}",
        {
            "budgetType": "COST",
            "limitAmount": usd,
            "costFilters": [{"name": "TagKeyValue", "values": [f"user:mlplat.io/team${team}"]}],
        },
    )


POOLS = [node_pool("training"), node_pool("inference", limit=4, workload="inference")]
FLAVORS = [flavor("training"), flavor("inference", taints=[SERVING_TAINT])]
# Serving's GPUs (the inference flavor) are never lent nor borrowed.
FRAUD = {"training": (4, 4), "inference": (0, 0, 0)}
RECO = {"training": (4, 2), "inference": (2, 0, 0)}
QUEUES = [queue("fraud", FRAUD), queue("reco", RECO)]
TEAMS = [namespace("fraud"), namespace("reco")]
QUOTAS = [quota("fraud", 8), quota("reco", 8)]
LOCAL_QUEUES = [local_queue("fraud"), local_queue("reco")]
BUDGETS = [budget("fraud", "9000"), budget("reco", "10000")]
STACK = [*POOLS, *FLAVORS, *QUEUES, *TEAMS, *QUOTAS, *LOCAL_QUEUES, *BUDGETS]
PRICES = {"gpuMonthUsd": {"training": 2125.55, "inference": 652.13}}
NOT_KUEUE = [resource("aws:s3/bucket:Bucket", "b", {"bucket": "x"})]


def replaced(stack, old, new):
    return [new if r is old else r for r in stack]


def with_number(entry, path, value):
    """A deep copy of a resource with one nested prop replaced (path of keys and indexes)."""
    props = copy.deepcopy(dict(entry.props))
    target = props
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return resource(entry.type, entry.name, props)


NOMINAL = ("spec", "resourceGroups", 0, "flavors", 0, "resources", 0, "nominalQuota")
BORROWING = ("spec", "resourceGroups", 0, "flavors", 0, "resources", 0, "borrowingLimit")
SERVING_LENDING = ("spec", "resourceGroups", 0, "flavors", 1, "resources", 0, "lendingLimit")

CASES = [
    StackCase(
        rule="kueue-cohort-within-pool-limits",
        passing=STACK,
        failing=[
            (
                "cohort promises more than the pool",
                replaced(STACK, QUEUES[1], queue("reco", {"training": (5, 0)})),
                [
                    (
                        "flavor-training",
                        "cohort 'mlplat-staging' guarantees 9 GPUs on flavor 'training' "
                        "(team-fraud 4, team-reco 5); its NodePools hold at most 8",
                    )
                ],
            ),
            (
                # A third queue, smuggled into the cohort with its nominal GPUs as a string.
                "a queue added to the cohort, number as a string",
                [*STACK, queue("shadow", {"inference": ("5", 0)})],
                [
                    (
                        "flavor-inference",
                        "cohort 'mlplat-staging' guarantees 7 GPUs on flavor 'inference' "
                        "(team-reco 2, team-shadow 5); its NodePools hold at most 4",
                    )
                ],
            ),
            (
                "a flavor that selects no pool",
                replaced(STACK, FLAVORS[1], flavor("inference", **{"mlplat.io/gpu-pool": "infer"})),
                [
                    (
                        "flavor-inference",
                        "flavor 'inference' selects no NodePool by its nodeLabels: what it admits "
                        "has no pool",
                    )
                ],
            ),
        ],
        not_applicable=NOT_KUEUE,
        unknown=replaced(STACK, QUEUES[0], with_number(QUEUES[0], NOMINAL, UNKNOWN_NUMBER)),
    ),
    StackCase(
        rule="kueue-team-quota-ceiling",
        passing=STACK,
        failing=[
            (
                "quota above the queue's ceiling",
                replaced(STACK, QUOTAS[0], quota("fraud", 100)),
                [
                    (
                        "cq-fraud",
                        "ResourceQuota team-fraud/team-quota allows 100 GPUs; ClusterQueue "
                        "'team-fraud' admits up to 8 (nominal plus borrowing): they must be equal",
                    )
                ],
            ),
            (
                "quota below, as a quantity string",
                replaced(STACK, QUOTAS[1], quota("reco", "5")),
                [
                    (
                        "cq-reco",
                        "ResourceQuota team-reco/team-quota allows 5 GPUs; ClusterQueue "
                        "'team-reco' admits up to 8 (nominal plus borrowing): they must be equal",
                    )
                ],
            ),
            (
                "no quota on GPUs at all",
                [r for r in STACK if r is not QUOTAS[0]],
                [
                    (
                        "cq-fraud",
                        "namespace 'team-fraud' has no ResourceQuota on requests.nvidia.com/gpu: "
                        "a GPU pod that bypasses ClusterQueue 'team-fraud' has no ceiling",
                    )
                ],
            ),
            (
                "unlimited borrowing",
                replaced(STACK, QUEUES[0], queue("fraud", {"training": (4, None)})),
                [
                    (
                        "cq-fraud",
                        "ClusterQueue 'team-fraud' borrows GPUs of flavor 'training' with no "
                        "borrowingLimit: as many as its cohort has idle",
                    ),
                    (
                        "cq-fraud",
                        "ResourceQuota team-fraud/team-quota allows 8 GPUs; ClusterQueue "
                        "'team-fraud' admits up to 4 (nominal plus borrowing): they must be equal",
                    ),
                ],
            ),
            (
                "a queue admitting every namespace",
                replaced(STACK, QUEUES[0], queue("fraud", FRAUD, selector={})),
                [
                    (
                        "cq-fraud",
                        "ClusterQueue 'team-fraud' admits from namespaces chosen by more than one "
                        "name",
                    )
                ],
            ),
        ],
        not_applicable=NOT_KUEUE,
        unknown=replaced(STACK, QUEUES[1], with_number(QUEUES[1], BORROWING, UNKNOWN_NUMBER)),
    ),
    StackCase(
        rule="kueue-team-gpu-budget",
        passing=STACK,
        config=PRICES,
        failing=[
            (
                "budget below a month of nominal GPUs",
                replaced(STACK, BUDGETS[1], budget("reco", "5000")),
                [
                    (
                        "cq-reco",
                        "the budget of team 'reco', $5,000, is below $9,806: a month of the "
                        "nominal GPUs ClusterQueue 'team-reco' guarantees",
                    )
                ],
            ),
            (
                "no budget for the team",
                [r for r in STACK if r is not BUDGETS[0]],
                [
                    (
                        "cq-fraud",
                        "team 'fraud' has no budget filtered on its mlplat.io/team tag, for "
                        "$8,502 a month of nominal GPUs",
                    )
                ],
            ),
            (
                "a flavor with no price",
                [*STACK, flavor("h100"), queue("h", {"h100": (1, 0)}), namespace("h")],
                [("cq-h", "ClusterQueue 'team-h': no GPU price for flavor 'h100' in gpuMonthUsd")],
            ),
        ],
        not_applicable=NOT_KUEUE,
        unknown=replaced(STACK, BUDGETS[0], budget("fraud", UNKNOWN_STRING)),
    ),
    StackCase(
        rule="kueue-queues-cover-teams-and-pools",
        passing=STACK,
        failing=[
            (
                "a team namespace without its default LocalQueue",
                replaced(STACK, LOCAL_QUEUES[0], local_queue("fraud", name="fast")),
                [
                    (
                        "ns-fraud",
                        "team namespace 'team-fraud' has no `default` LocalQueue: its GPU work has "
                        "no queue to be admitted through",
                    )
                ],
            ),
            (
                "a GPU pool no flavor stands for",
                [*STACK, node_pool("burst", limit=4)],
                [
                    (
                        "pool-burst",
                        "GPU NodePool 'gpu-burst' has no ResourceFlavor: its GPUs are outside "
                        "every team's queue",
                    )
                ],
            ),
            (
                # A flavor pinned to on-demand does not cover a pool that may run spot.
                "a flavor narrower than its pool",
                replaced(
                    STACK,
                    FLAVORS[0],
                    flavor(
                        "training",
                        **{"mlplat.io/gpu-pool": "training", "karpenter.sh/capacity-type": "spot"},
                    ),
                ),
                [
                    (
                        "pool-training",
                        "GPU NodePool 'gpu-training' has no ResourceFlavor: its GPUs are outside "
                        "every team's queue",
                    )
                ],
            ),
        ],
        not_applicable=NOT_KUEUE,
        unknown=replaced(
            STACK,
            LOCAL_QUEUES[1],
            resource(
                LOCAL_QUEUE,
                "lq-reco",
                {"metadata": {"name": UNKNOWN_STRING, "namespace": "team-reco"}},
            ),
        ),
    ),
    StackCase(
        rule="kueue-serving-gpus-never-lent",
        passing=STACK,
        failing=[
            (
                "serving GPUs lent and borrowed",
                replaced(
                    STACK, QUEUES[1], queue("reco", {"training": (4, 2), "inference": (2, 1)})
                ),
                [
                    (
                        "cq-reco",
                        "ClusterQueue 'team-reco' lends serving GPUs of flavor 'inference' (all "
                        "it leaves idle of 2): lendingLimit must be 0",
                    ),
                    (
                        "cq-reco",
                        "ClusterQueue 'team-reco' borrows serving GPUs of flavor 'inference' (1): "
                        "borrowingLimit must be 0",
                    ),
                ],
            ),
            (
                # The flavor names no workload: the pool it selects decides that it serves.
                "lending a serving GPU, as a string",
                replaced(
                    STACK, QUEUES[1], queue("reco", {"training": (4, 2), "inference": (2, 0, "1")})
                ),
                [
                    (
                        "cq-reco",
                        "ClusterQueue 'team-reco' lends serving GPUs of flavor 'inference' (1 of "
                        "2): lendingLimit must be 0",
                    )
                ],
            ),
            (
                "unlimited borrowing of serving GPUs",
                replaced(
                    STACK, QUEUES[0], queue("fraud", {"training": (4, 4), "inference": (0, None)})
                ),
                [
                    (
                        "cq-fraud",
                        "ClusterQueue 'team-fraud' borrows serving GPUs of flavor 'inference' "
                        "(without limit): borrowingLimit must be 0",
                    )
                ],
            ),
            (
                # Only PreferNoSchedule: Kueue ignores it when it assigns flavors.
                "a serving flavor any GPU pod can be given",
                replaced(
                    STACK,
                    FLAVORS[1],
                    flavor("inference", taints=[SERVING_TAINT | {"effect": "PreferNoSchedule"}]),
                ),
                [
                    (
                        "flavor-inference",
                        "flavor 'inference' of the inference pools declares no NoSchedule "
                        "nodeTaint: Kueue gives serving's GPUs to any GPU pod that names no pool",
                    )
                ],
            ),
        ],
        not_applicable=NOT_KUEUE,
        unknown=replaced(STACK, QUEUES[1], with_number(QUEUES[1], SERVING_LENDING, UNKNOWN_NUMBER)),
    ),
]

VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
VAP_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
TEAM_NAMESPACES = {"matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]}


WATCHED = {
    "mlplat-serving-priority-on-inference-pools": ["pods", "jobs", "jobsets", "trainjobs"],
    "mlplat-kueue-children-from-their-controllers": ["pods", "jobs", "jobsets"],
}


def admission_policy(name: str, failure="Fail", validations=("true",), **spec):
    rules = [
        {"resources": [r], "operations": ["CREATE", "UPDATE"], "apiGroups": ["*"]}
        for r in WATCHED[name]
    ]
    return resource(
        VAP,
        f"vap-{name}",
        {
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": failure,
                "matchConstraints": {"resourceRules": rules},
                "validations": [{"expression": e, "message": "no"} for e in validations],
                **spec,
            },
        },
    )


def admission_binding(name: str, actions=("Deny",), namespaces=None, objects=None):
    match = {"namespaceSelector": TEAM_NAMESPACES if namespaces is None else namespaces}
    if objects is not None:
        match["objectSelector"] = objects
    return resource(
        VAP_BINDING,
        f"vapb-{name}",
        {
            "metadata": {"name": name},
            "spec": {
                "policyName": name,
                "validationActions": list(actions),
                "matchResources": match,
            },
        },
    )


SERVING_POLICY = "mlplat-serving-priority-on-inference-pools"
CHILDREN_POLICY = "mlplat-kueue-children-from-their-controllers"
ADMISSION = [
    admission_policy(SERVING_POLICY),
    admission_binding(SERVING_POLICY),
    admission_policy(CHILDREN_POLICY),
    admission_binding(CHILDREN_POLICY),
]
HELD = [*STACK, *ADMISSION]


def not_held(namespace: str, policy: str, how: str) -> tuple[str, str]:
    purpose = {
        SERVING_POLICY: "the serving priority stays with serving",
        CHILDREN_POLICY: "no pod is written under an admitted job",
    }[policy]
    return (
        f"ns-{namespace}",
        f"team namespace 'team-{namespace}': admission policy {policy!r} ({purpose}) {how}",
    )


CASES.append(
    StackCase(
        rule="kueue-admission-policies-enforced",
        passing=HELD,
        failing=[
            (
                "a binding that only warns",
                replaced(HELD, ADMISSION[1], admission_binding(SERVING_POLICY, actions=["Warn"])),
                [
                    not_held(team, SERVING_POLICY, "is bound to it by no binding that denies")
                    for team in ("fraud", "reco")
                ],
            ),
            (
                # Narrowed to one team: the other's pods are not held.
                "a binding for one team only",
                replaced(
                    HELD,
                    ADMISSION[3],
                    admission_binding(
                        CHILDREN_POLICY, namespaces={"matchLabels": {"mlplat.io/team": "fraud"}}
                    ),
                ),
                [not_held("reco", CHILDREN_POLICY, "is bound to it by no binding that denies")],
            ),
            (
                "a binding narrowed to labelled pods",
                replaced(
                    HELD,
                    ADMISSION[3],
                    admission_binding(CHILDREN_POLICY, objects={"matchLabels": {"checked": "yes"}}),
                ),
                [
                    not_held(team, CHILDREN_POLICY, "is bound to it by no binding that denies")
                    for team in ("fraud", "reco")
                ],
            ),
            (
                "a policy that fails open, and one removed",
                [*replaced(HELD, ADMISSION[0], admission_policy(SERVING_POLICY, failure="Ignore"))][
                    :-2
                ],
                [
                    finding
                    for team in ("fraud", "reco")
                    for finding in (
                        not_held(team, SERVING_POLICY, "fails open (failurePolicy Ignore)"),
                        not_held(team, CHILDREN_POLICY, "does not exist"),
                    )
                ],
            ),
            (
                # Pods on create only: a Job made by hand under a JobSet is not seen, nor a
                # pod's owner reference added by an update.
                "a policy that sees pod creates only",
                replaced(
                    HELD,
                    ADMISSION[2],
                    admission_policy(
                        CHILDREN_POLICY,
                        matchConstraints={
                            "resourceRules": [{"resources": ["pods"], "operations": ["CREATE"]}]
                        },
                    ),
                ),
                [
                    not_held(
                        team,
                        CHILDREN_POLICY,
                        "does not see creates and updates of ['pods', 'jobs', 'jobsets'] there",
                    )
                    for team in ("fraud", "reco")
                ],
            ),
            (
                "a policy that excludes jobs, and one skipped by a match condition",
                replaced(
                    replaced(
                        HELD,
                        ADMISSION[2],
                        admission_policy(
                            CHILDREN_POLICY,
                            matchConstraints={
                                "resourceRules": [{"resources": ["*"], "operations": ["*"]}],
                                "excludeResourceRules": [{"resources": ["jobs"]}],
                            },
                        ),
                    ),
                    ADMISSION[0],
                    admission_policy(
                        SERVING_POLICY, matchConditions=[{"name": "never", "expression": "false"}]
                    ),
                ),
                [
                    finding
                    for team in ("fraud", "reco")
                    for finding in (
                        not_held(team, SERVING_POLICY, "is skipped where its matchConditions say"),
                        not_held(
                            team,
                            CHILDREN_POLICY,
                            "does not see creates and updates of ['jobs'] there",
                        ),
                    )
                ],
            ),
            (
                "a policy with no validation",
                replaced(HELD, ADMISSION[2], admission_policy(CHILDREN_POLICY, validations=())),
                [
                    not_held(team, CHILDREN_POLICY, "has no validation")
                    for team in ("fraud", "reco")
                ],
            ),
        ],
        not_applicable=[r for r in HELD if r.type != CQ],
        unknown=replaced(
            HELD, ADMISSION[1], admission_binding(SERVING_POLICY, actions=[UNKNOWN_STRING])
        ),
    )
)
