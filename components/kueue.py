"""GPU governance across teams with Kueue: one ResourceFlavor per GPU pool, one ClusterQueue per
team in the environment's cohort (a nominal quota per flavor, borrowing and lending limits,
fair sharing, preemption within the cohort), a `default` LocalQueue in every team namespace, and
the priority classes that order serving above training above notebooks and batch.

Nothing in a team namespace bypasses it: Kueue manages every Job, JobSet, Kubeflow TrainJob and
pod there even without a queue label (`manageJobsWithoutQueueName`, limited to the team
namespaces by `managedJobsNamespaceSelector`), and a `default` LocalQueue gives those a queue
(LocalQueueDefaulting, stable since v0.17). Two admission policies close what Kueue leaves open:
children of its jobs are made only by their owners' controllers, and the serving priority is
the inference pools' alone. The controller needs no AWS access: no Pod Identity role, a
restricted, default-deny namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.admission import refuse_in_team_namespaces, resource_rule
from components.args import arg, component_args
from components.finops import TEAM_TAG
from components.gpu_pools import GPU, POOL_LABEL, WORKLOAD_LABEL
from components.kubeflow import JOBSET_CONTROLLER, TRAINER_CONTROLLER
from components.namespaces import (
    default_deny,
    dns_egress,
    namespace_peer,
    pod_security,
    ports,
    to_cidr,
)
from components.observability import NAMESPACE as MONITORING_NAMESPACE
from components.placement import NODE_CLASS_LABEL, SYSTEM_NODE_CLASS, SYSTEM_TOLERATION

NAMESPACE = "kueue-system"
CHART_REPO = "oci://registry.k8s.io/kueue/charts/kueue"
IMAGE = "registry.k8s.io/kueue/kueue"
API = "kueue.x-k8s.io/v1beta2"
WEBHOOK_PORT = 9443
METRICS_PORT = 8443
# The LocalQueue Kueue assigns to a workload without a queue label (LocalQueueDefaulting).
DEFAULT_LOCAL_QUEUE = "default"
# What a workload names as `kueue.x-k8s.io/priority-class`: serving is never preempted by the
# others, training preempts notebooks and batch.
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
SERVING_PRIORITY = "serving"
PRIORITIES: Mapping[str, int] = {
    SERVING_PRIORITY: 1000,
    "training": 500,
    "notebooks": 100,
    "batch": 100,
}
# Kueue's integrations this platform uses, as its configuration names them; each is checked
# against the frameworks Kueue v0.19 knows (its chart's values list them).
# Kubeflow Trainer v2's TrainJob runs as a JobSet: both are named, so a TrainJob's JobSet and
# Jobs are seen as its children, never queued twice. Pods of anything else (notebooks'
# StatefulSets, KServe's Knative Deployments, Pipelines' Argo pods) are admitted one by one by
# the `pod` integration; the `deployment` and `statefulset` integrations would relabel objects
# their own controllers reconcile.
FRAMEWORKS = ("batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob", "pod")
CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"
INFERENCE = "inference"
# An inference flavor declares this taint, which only serving pods tolerate: Kueue gives a flavor
# only to pods that tolerate its nodeTaints, so a GPU pod that names no pool never spills onto
# serving's GPUs. The nodes do not carry it (the GPU node agents' tolerations stay as upstream
# ships them); Kueue is the gate, since every team pod is admitted by it.
SERVING_TAINT = {"key": WORKLOAD_LABEL, "value": INFERENCE, "effect": "NoSchedule"}
SERVING_TOLERATION = {"operator": "Equal", **SERVING_TAINT}

# The serving priority is the inference pools' alone. A pod may carry it only if it selects
# those pools, so Kueue can give it no training flavor: a team cannot label its training
# `serving` to keep borrowed training GPUs from being reclaimed, nor to preempt other training.
# Kueue reads a Job's, JobSet's or TrainJob's priority from its own label: never serving.
SERVING_PRIORITY_POLICY = "mlplat-serving-priority-on-inference-pools"
_SERVING = (
    f"(has(object.metadata.labels) && '{PRIORITY_LABEL}' in object.metadata.labels && "
    f"object.metadata.labels['{PRIORITY_LABEL}'] == '{SERVING_PRIORITY}')"
)
SERVING_POD_CEL = (
    f"request.resource.resource != 'pods' || !{_SERVING} || "
    f"(has(object.spec.nodeSelector) && '{WORKLOAD_LABEL}' in object.spec.nodeSelector && "
    f"object.spec.nodeSelector['{WORKLOAD_LABEL}'] == '{INFERENCE}')"
)
SERVING_POD_MESSAGE = (
    f"a pod at the '{SERVING_PRIORITY}' priority must select the inference pools "
    f"(nodeSelector {WORKLOAD_LABEL}: {INFERENCE}): the serving priority is for model serving"
)
# Kueue admits a child of a job it manages with that job, and so admits nothing made under a
# Job's, JobSet's or TrainJob's controller reference (FindAncestorJobManagedByKueue, v0.19.2:
# "same-namespace ownership spoofing is out of scope"). So in team namespaces such a child is
# made only by its owner's controller: a pod by the Job controller, a Job by JobSet's, a JobSet
# by the Trainer's. A reference that was already there may stay on update (finalizers, status).
CHILDREN_POLICY = "mlplat-kueue-children-from-their-controllers"
JOB_CONTROLLERS = (
    # kube-controller-manager, with and without per-controller service account credentials.
    "system:serviceaccount:kube-system:job-controller",
    "system:kube-controller-manager",
)
KUEUE_OWNERS = {  # child resource -> (owner kind, owner API group, who may create it)
    "pods": ("Job", "batch", JOB_CONTROLLERS),
    "jobs": ("JobSet", "jobset.x-k8s.io", (JOBSET_CONTROLLER,)),
    "jobsets": ("TrainJob", "trainer.kubeflow.org", (TRAINER_CONTROLLER,)),
}


def _controlled_by(subject: str, owners: Sequence[tuple[str, str]]) -> str:
    kinds = " || ".join(
        f"(o.kind == '{kind}' && o.apiVersion.startsWith('{group}/'))" for kind, group in owners
    )
    return (
        f"(has({subject}.metadata.ownerReferences) && {subject}.metadata.ownerReferences.exists("
        f"o, has(o.controller) && o.controller && ({kinds})))"
    )


_ANY_OWNER = [(kind, group) for kind, group, _ in KUEUE_OWNERS.values()]
KUEUE_CHILDREN_CEL = (
    f"!{_controlled_by('object', _ANY_OWNER)} || "
    f"(request.operation == 'UPDATE' && {_controlled_by('oldObject', _ANY_OWNER)}) || "
    + " || ".join(
        f"(request.resource.resource == '{child}' && {_controlled_by('object', [(kind, group)])} "
        f"&& request.userInfo.username in {list(users)})"
        for child, (kind, group, users) in KUEUE_OWNERS.items()
    )
)
KUEUE_CHILDREN_MESSAGE = (
    "an object under a Job's, JobSet's or TrainJob's controller reference is made only by its "
    "owner's controller: Kueue admits it with its owner, so one made by hand would run outside "
    "the team's queue"
)
SERVING_JOB_CEL = f"request.resource.resource == 'pods' || !{_SERVING}"
SERVING_JOB_MESSAGE = (
    f"a Job, JobSet or TrainJob may not take the '{SERVING_PRIORITY}' priority; training and "
    "batch use 'training' or 'batch'"
)


@component_args
class Flavor:
    """A Karpenter GPU pool as Kueue sees it."""

    name: str = arg("the pool's name: the flavor is named after it")
    workload: str = arg("the pool's workload label (training, inference)")
    gpu_limit: int = arg("the NodePool's `nvidia.com/gpu` limit: what the flavor can ever hold")
    capacity_types: Sequence[str] = arg("the NodePool's capacity types (spot, on-demand)")


@component_args
class FlavorQuota:
    """A team's GPUs in one flavor."""

    nominal: int = arg("GPUs guaranteed to the team")
    borrowing_limit: int = arg("GPUs it may borrow beyond nominal when others idle", default=0)
    lending_limit: int | None = arg(
        "GPUs of its nominal quota it lends at most; None lends all it does not use", default=None
    )


@component_args
class TeamQueue:
    """A team's share of the GPUs: what it is guaranteed, what it may borrow and lend."""

    team: str = arg("the team's name")
    namespace: str = arg("the team's namespace, where its `default` LocalQueue lives")
    quotas: Mapping[str, FlavorQuota] = arg("flavor -> the team's GPUs there; none elsewhere")
    weight: int = arg("fair-sharing weight: its share of what the cohort has spare", default=1)


@component_args
class KueueArgs:
    chart_version: str = arg("the Kueue chart (oci://registry.k8s.io/kueue/charts/kueue), catalog")
    cohort: str = arg("the environment's cohort: every team queue borrows and lends within it")
    flavors: Sequence[Flavor] = arg("one per GPU pool")
    queues: Sequence[TeamQueue] = arg("one per team")
    vpc_cidr: str = arg("the VPC: where the API server calls Kueue's webhooks from")
    kubernetes_provider: pulumi.ProviderResource = arg("the cluster's Kubernetes provider")


def validate_kueue_args(args: KueueArgs) -> list[str]:
    """What the cohort can hold: per flavor, the teams' nominal quotas within the pool's limit;
    every quota on a flavor that exists, its limits non-negative and lending within nominal."""
    problems = []
    limits = {f.name: f.gpu_limit for f in args.flavors}
    serving = {f.name for f in args.flavors if f.workload == INFERENCE}
    for queue in args.queues:
        unknown = sorted(set(queue.quotas) - set(limits))
        if unknown:
            problems.append(
                f"queues[{queue.team}].quotas: got flavors {unknown}; expected some of "
                f"{sorted(limits)}"
            )
        for flavor, quota in sorted(queue.quotas.items()):
            where = f"queues[{queue.team}].quotas[{flavor}]"
            if min(quota.nominal, quota.borrowing_limit, quota.lending_limit or 0) < 0:
                problems.append(f"{where}: got a negative quota; expected GPUs >= 0")
            if quota.lending_limit is not None and quota.lending_limit > quota.nominal:
                problems.append(
                    f"{where}.lending_limit: got {quota.lending_limit}; expected at most "
                    f"nominal {quota.nominal}"
                )
            if flavor in serving and (quota.borrowing_limit or quota.lending_limit):
                problems.append(
                    f"{where}: got borrowing {quota.borrowing_limit}, lending "
                    f"{quota.lending_limit}; expected 0 on an inference flavor (serving keeps "
                    "its nominal GPUs and borrows none)"
                )
    for flavor, limit in limits.items():
        total = sum(q.quotas[flavor].nominal for q in args.queues if flavor in q.quotas)
        if total > limit:
            problems.append(
                f"flavors[{flavor}]: got nominal quotas summing to {total} GPUs; expected at most "
                f"the pool's limit {limit}"
            )
    return problems


def kueue_values(chart_version: str, team_label: str) -> dict[str, Any]:
    configuration = {
        "apiVersion": "config.kueue.x-k8s.io/v1beta2",
        "kind": "Configuration",
        "health": {"healthProbeBindAddress": ":8081"},
        # Per-queue GPU usage, quotas and borrowing for the GPU queues dashboard.
        "metrics": {"bindAddress": f":{METRICS_PORT}", "enableClusterQueueResources": True},
        "webhook": {"port": WEBHOOK_PORT},
        "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
        # Every workload of a team namespace is Kueue's, labelled or not: none bypasses quota.
        "manageJobsWithoutQueueName": True,
        "managedJobsNamespaceSelector": {
            "matchExpressions": [{"key": team_label, "operator": "Exists"}]
        },
        # A pod the pool's node never got ready for (spot reclaimed before start) goes back to
        # the queue instead of holding quota.
        # A spot node reclaimed under a running job: once a pod has been lost for
        # `recoveryTimeout`, the job is suspended and requeued (it resumes from its last
        # checkpoint) instead of holding quota or failing.
        "waitForPodsReady": {
            "timeout": "10m",
            "recoveryTimeout": "5m",
            "blockAdmission": False,
            "requeuingStrategy": {"timestamp": "Eviction", "backoffBaseSeconds": 60},
        },
        # Kueue governs GPUs only; CPU and memory stay with each namespace's ResourceQuota, so a
        # CPU-only pod (a pipeline step, a notebook) is admitted at once with no flavor.
        "resources": {"quotaCheckStrategy": "IgnoreUndeclared"},
        "fairSharing": {"preemptionStrategies": ["LessThanOrEqualToFinalShare"]},
        "integrations": {"frameworks": list(FRAMEWORKS)},
    }
    return {
        "enablePrometheus": True,
        "controllerManager": {
            "replicas": 2,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "manager": {
                "image": {
                    "repository": IMAGE,
                    "tag": f"v{chart_version}",
                    "pullPolicy": "IfNotPresent",
                },
                "priorityClassName": "system-cluster-critical",
            },
            # On the system nodes, like the other platform services (the chart has no affinity).
            "nodeSelector": {NODE_CLASS_LABEL: SYSTEM_NODE_CLASS},
            "tolerations": [SYSTEM_TOLERATION],
        },
        "managerConfig": {"controllerManagerConfigYaml": yaml.safe_dump(configuration)},
    }


def flavor_spec(flavor: Flavor) -> dict[str, Any]:
    """Admitted pods land on the pool's nodes: its labels (and its capacity type where it has
    one) as their node selector, its GPU taint tolerated (Kueue adds both), so a team writes
    neither. Kueue matches a pod's node selector against these keys only: with the workload
    label here, a serving pod (`mlplat.io/workload: inference`) is never given a training
    flavor it could not schedule on; and an inference flavor goes only to pods that tolerate
    `SERVING_TAINT`."""
    labels = {POOL_LABEL: flavor.name, WORKLOAD_LABEL: flavor.workload}
    if len(flavor.capacity_types) == 1:
        labels[CAPACITY_TYPE_LABEL] = flavor.capacity_types[0]
    return {
        "nodeLabels": labels,
        **({"nodeTaints": [SERVING_TAINT]} if flavor.workload == INFERENCE else {}),
        "tolerations": [{"key": GPU, "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    }


def cluster_queue_name(queue: TeamQueue) -> str:
    return f"team-{queue.team}"


def cluster_queue_spec(queue: TeamQueue, cohort: str, flavors: Sequence[Flavor]) -> dict[str, Any]:
    resources = []
    for flavor in flavors:
        share = queue.quotas.get(flavor.name) or FlavorQuota(nominal=0)
        quota: dict[str, Any] = {
            "name": GPU,
            "nominalQuota": share.nominal,
            "borrowingLimit": share.borrowing_limit,
        }
        # Serving's GPUs are never lent: a borrower's serving pods, at the same priority,
        # could not be reclaimed (preemption takes lower priorities only).
        lending = 0 if flavor.workload == INFERENCE else share.lending_limit
        if lending is not None:
            quota["lendingLimit"] = lending
        resources.append({"name": flavor.name, "resources": [quota]})
    return {
        "cohortName": cohort,
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": queue.namespace}},
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [{"coveredResources": [GPU], "flavors": resources}],
        "fairSharing": {"weight": queue.weight},
        # Preemption takes only lower priorities, to take back lent quota or within the queue:
        # serving is never preempted by training, even on borrowed GPUs. Between queues, Fair
        # Sharing's strategies decide the rest; `borrowWithinCohort` is for Classical Preemption
        # only (the v0.19.2 CRD says so), so it is not set.
        "preemption": {
            "reclaimWithinCohort": "LowerPriority",
            "withinClusterQueue": "LowerPriority",
        },
    }


class WorkloadPriorityClass(pulumi.CustomResource):
    """Kueue's priority class: `value` and `description` sit at the top level, beside
    `metadata`, which the Python SDK's `CustomResource` (metadata and spec only) cannot send;
    registered under the same type token it would use."""

    def __init__(
        self,
        name: str,
        *,
        class_name: str,
        value: int,
        description: str,
        opts: pulumi.ResourceOptions,
    ):
        body = {
            "apiVersion": API,
            "kind": "WorkloadPriorityClass",
            "metadata": {"name": class_name},
            "value": value,
            "description": description,
        }
        super().__init__(f"kubernetes:{API}:WorkloadPriorityClass", name, body, opts)


class Kueue(pulumi.ComponentResource):
    """The Kueue controller, its flavors, cohort, team queues and priority classes."""

    def __init__(self, name: str, args: KueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:kueue:Kueue", name, None, opts)
        if problems := validate_kueue_args(args):
            raise ValueError(f"Kueue {name}: " + "; ".join(problems))
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        meta = k8s.meta.v1.ObjectMetaArgs
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=meta(name=NAMESPACE, labels=pod_security("restricted")),
            opts=on_cluster,
        )
        inside = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[self.namespace])
        )
        self._network(name, args, inside)
        self.chart = k8s.helm.v4.Chart(
            f"{name}-kueue",
            name="kueue",
            chart=CHART_REPO,
            version=args.chart_version,
            namespace=NAMESPACE,
            values=kueue_values(args.chart_version, TEAM_TAG),
            opts=inside,
        )
        # Kueue's kinds, once its CRDs and webhooks serve.
        after = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[self.chart])
        )
        custom = k8s.apiextensions.CustomResource
        self.priority_classes = [
            WorkloadPriorityClass(
                f"{name}-priority-{purpose}",
                class_name=purpose,
                value=value,
                description=f"mlplat: {purpose} workloads",
                opts=after,
            )
            for purpose, value in PRIORITIES.items()
        ]
        self.flavors = [
            custom(
                f"{name}-flavor-{flavor.name}",
                api_version=API,
                kind="ResourceFlavor",
                metadata=meta(name=flavor.name),
                spec=flavor_spec(flavor),
                opts=after,
            )
            for flavor in args.flavors
        ]
        self.cohort = custom(
            f"{name}-cohort",
            api_version=API,
            kind="Cohort",
            metadata=meta(name=args.cohort),
            spec={},
            opts=after,
        )
        queued = pulumi.ResourceOptions.merge(
            after, pulumi.ResourceOptions(depends_on=[*self.flavors, self.cohort])
        )
        self.cluster_queues: dict[str, k8s.apiextensions.CustomResource] = {}
        self.local_queues: dict[str, k8s.apiextensions.CustomResource] = {}
        for queue in args.queues:
            cluster_queue = custom(
                f"{name}-{queue.team}",
                api_version=API,
                kind="ClusterQueue",
                metadata=meta(name=cluster_queue_name(queue)),
                spec=cluster_queue_spec(queue, args.cohort, args.flavors),
                opts=queued,
            )
            self.cluster_queues[queue.team] = cluster_queue
            self.local_queues[queue.team] = custom(
                f"{name}-{queue.team}-default",
                api_version=API,
                kind="LocalQueue",
                metadata=meta(name=DEFAULT_LOCAL_QUEUE, namespace=queue.namespace),
                spec={"clusterQueue": cluster_queue_name(queue)},
                opts=pulumi.ResourceOptions.merge(
                    queued, pulumi.ResourceOptions(depends_on=[cluster_queue])
                ),
            )
        # The kinds a child of a Kueue-managed job can be (a TrainJob is never a child).
        children = [
            resource_rule("", "v1", "pods"),
            resource_rule("batch", "v1", "jobs"),
            resource_rule("jobset.x-k8s.io", "v1alpha2", "jobsets"),
        ]
        refuse_in_team_namespaces(
            f"{name}-serving-priority",
            policy_name=SERVING_PRIORITY_POLICY,
            rules=[*children, resource_rule("trainer.kubeflow.org", "v1alpha1", "trainjobs")],
            validations=[
                (SERVING_POD_CEL, SERVING_POD_MESSAGE),
                (SERVING_JOB_CEL, SERVING_JOB_MESSAGE),
            ],
            opts=on_cluster,
        )
        refuse_in_team_namespaces(
            f"{name}-children",
            policy_name=CHILDREN_POLICY,
            rules=children,
            validations=[(KUEUE_CHILDREN_CEL, KUEUE_CHILDREN_MESSAGE)],
            opts=on_cluster,
        )
        self.register_outputs(
            {
                "namespace": self.namespace.metadata.name,
                "cohort": args.cohort,
                "cluster_queues": {q.team: cluster_queue_name(q) for q in args.queues},
            }
        )

    def _network(self, name: str, args: KueueArgs, inside: pulumi.ResourceOptions) -> None:
        """kueue-system: default-deny, then the API server's webhook calls and Prometheus's
        scrapes in, the API server and DNS out."""
        net = k8s.networking.v1
        default_deny(f"{name}-default-deny", NAMESPACE, inside)
        net.NetworkPolicy(
            f"{name}-allow",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="kueue", namespace=NAMESPACE),
            spec=net.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[
                            net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=args.vpc_cidr))
                        ],
                        ports=ports(WEBHOOK_PORT),
                    ),
                    net.NetworkPolicyIngressRuleArgs(
                        from_=[namespace_peer(MONITORING_NAMESPACE)], ports=ports(METRICS_PORT)
                    ),
                ],
                egress=[dns_egress(), to_cidr(args.vpc_cidr, 443)],
            ),
            opts=inside,
        )
