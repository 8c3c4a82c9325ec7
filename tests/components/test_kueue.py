"""Kueue: the controller restricted and default-deny on the system nodes, one flavor per GPU pool,
one ClusterQueue per team in the cohort, a `default` LocalQueue per team namespace, and the
priority classes; every Kueue object valid against the real v0.19.2 CRDs."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml

from components.catalog import KUEUE_VERSION
from components.kueue import (
    FRAMEWORKS,
    Flavor,
    FlavorQuota,
    Kueue,
    KueueArgs,
    TeamQueue,
    validate_kueue_args,
)
from mlplat.chart_values import upstream_cache
from mlplat.k8s_schema import validate
from tests.components.builders import admission_check, kubernetes

FLAVORS = [
    Flavor(name="training", workload="training", gpu_limit=8, capacity_types=["spot", "on-demand"]),
    Flavor(name="inference", workload="inference", gpu_limit=8, capacity_types=["on-demand"]),
]
QUEUES = [
    TeamQueue(
        team="fraud-models",
        namespace="team-fraud-models",
        quotas={
            "training": FlavorQuota(nominal=4, borrowing_limit=4, lending_limit=2),
            "inference": FlavorQuota(nominal=2),
        },
        weight=2,
    ),
    TeamQueue(
        team="recommendations",
        namespace="team-recommendations",
        quotas={"training": FlavorQuota(nominal=4, borrowing_limit=2)},
    ),
]
KIND = "kubernetes:kueue.x-k8s.io/v1beta2:"


def args(**overrides) -> KueueArgs:
    values = {
        "chart_version": KUEUE_VERSION,
        "cohort": "mlplat-prod",
        "flavors": FLAVORS,
        "queues": QUEUES,
        "vpc_cidr": "10.30.0.0/16",
        "kubernetes_provider": kubernetes(),
    }
    values.update(overrides)
    return KueueArgs(**values)


def as_state(inputs: dict) -> dict:
    """Inputs as the engine hands them to the provider: the SDK sends numbers as doubles, and
    an integral one is an integer in the JSON the API server gets."""
    return json.loads(
        json.dumps(inputs),
        parse_float=lambda s: int(float(s)) if float(s).is_integer() else float(s),
    )


@pytest.fixture(scope="module")
def kueue():
    from tests.recording import record

    return record(lambda: Kueue("prod", args()))


def test_children(kueue):
    component = kueue.one("mlplat:kueue:Kueue")
    assert kueue.child_types(component.urn) == Counter(
        {
            "kubernetes:core/v1:Namespace": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 2,
            "kubernetes:helm.sh/v4:Chart": 1,
            f"{KIND}WorkloadPriorityClass": 4,
            f"{KIND}ResourceFlavor": 2,
            f"{KIND}Cohort": 1,
            f"{KIND}ClusterQueue": 2,
            f"{KIND}LocalQueue": 2,
            # The serving priority's policy, and the one for children of Kueue's jobs.
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": 2,
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": 2,
        }
    )


def test_the_controller_is_restricted_pinned_and_on_the_system_nodes(kueue):
    namespace = kueue.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    assert namespace["name"] == "kueue-system"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    chart = kueue.one("kubernetes:helm.sh/v4:Chart").inputs
    assert (chart["chart"], chart["version"], chart["namespace"]) == (
        "oci://registry.k8s.io/kueue/charts/kueue",
        "0.19.2",
        "kueue-system",
    )
    manager = chart["values"]["controllerManager"]
    # The chart in git names a staging image and `Always`; the release pins these.
    assert manager["manager"]["image"] == {
        "repository": "registry.k8s.io/kueue/kueue",
        "tag": "v0.19.2",
        "pullPolicy": "IfNotPresent",
    }
    assert manager["nodeSelector"] == {"mlplat.io/node-class": "system"}
    assert manager["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert manager["replicas"] == 2 and manager["podDisruptionBudget"]["enabled"] is True


def test_no_workload_of_a_team_namespace_bypasses_kueue(kueue):
    values = kueue.one("kubernetes:helm.sh/v4:Chart").inputs["values"]
    config = yaml.safe_load(values["managerConfig"]["controllerManagerConfigYaml"])
    assert config["manageJobsWithoutQueueName"] is True
    assert config["managedJobsNamespaceSelector"] == {
        "matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]
    }
    assert config["integrations"]["frameworks"] == list(FRAMEWORKS)
    for team in ("fraud-models", "recommendations"):
        queue = kueue.one(f"{KIND}LocalQueue", f"prod-{team}-default").inputs
        assert queue["metadata"] == {"name": "default", "namespace": f"team-{team}"}
        assert queue["spec"] == {"clusterQueue": f"team-{team}"}


def test_the_integrations_are_frameworks_kueue_v0_19_knows():
    """Read from the chart's own values at the pinned tag, not from this project."""
    values = upstream_cache() / "charts" / "kueue" / KUEUE_VERSION / "values.yaml"
    shipped = yaml.safe_load(values.read_text())["managerConfig"]["controllerManagerConfigYaml"]
    commented = {
        line.strip().lstrip("#").strip().removeprefix("- ").strip('"')
        for line in shipped.splitlines()
        if line.strip().lstrip("#").strip().startswith("- ")
    }
    assert set(FRAMEWORKS) <= commented


def test_a_team_queue_guarantees_nominal_borrows_lends_and_preempts_by_priority(kueue):
    """With Fair Sharing on, Kueue takes no `borrowWithinCohort` (Classical Preemption only)."""
    spec = kueue.one(f"{KIND}ClusterQueue", "prod-fraud-models").inputs["spec"]
    assert spec == {
        "cohortName": "mlplat-prod",
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "team-fraud-models"}},
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [
            {
                "coveredResources": ["nvidia.com/gpu"],
                "flavors": [
                    {
                        "name": "training",
                        "resources": [
                            {
                                "name": "nvidia.com/gpu",
                                "nominalQuota": 4,
                                "borrowingLimit": 4,
                                "lendingLimit": 2,
                            }
                        ],
                    },
                    {
                        "name": "inference",
                        # Serving's GPUs are never lent.
                        "resources": [
                            {
                                "name": "nvidia.com/gpu",
                                "nominalQuota": 2,
                                "borrowingLimit": 0,
                                "lendingLimit": 0,
                            }
                        ],
                    },
                ],
            }
        ],
        "fairSharing": {"weight": 2},
        "preemption": {
            "reclaimWithinCohort": "LowerPriority",
            "withinClusterQueue": "LowerPriority",
        },
    }


def test_a_pool_a_team_has_no_share_of_is_listed_with_nothing(kueue):
    """Every queue lists every flavor (a cohort lends only flavors its queues name): a team
    with no share of a pool has nominal 0 and borrows none of it."""
    spec = kueue.one(f"{KIND}ClusterQueue", "prod-recommendations").inputs["spec"]
    (group,) = spec["resourceGroups"]
    assert group["flavors"][1] == {
        "name": "inference",
        "resources": [
            {"name": "nvidia.com/gpu", "nominalQuota": 0, "borrowingLimit": 0, "lendingLimit": 0}
        ],
    }


def test_flavors_send_admitted_pods_to_their_pool(kueue):
    toleration = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true"}
    training = kueue.one(f"{KIND}ResourceFlavor", "prod-flavor-training").inputs["spec"]
    assert training == {
        "nodeLabels": {"mlplat.io/gpu-pool": "training", "mlplat.io/workload": "training"},
        "tolerations": [toleration | {"effect": "NoSchedule"}],
    }
    # A pool of one capacity type pins it, as the NodePool does.
    inference = kueue.one(f"{KIND}ResourceFlavor", "prod-flavor-inference").inputs["spec"]
    assert inference["nodeLabels"] == {
        "mlplat.io/gpu-pool": "inference",
        "mlplat.io/workload": "inference",
        "karpenter.sh/capacity-type": "on-demand",
    }
    # Only pods tolerating this are given the flavor: a GPU pod that names no pool never
    # spills onto serving's GPUs (Kueue's flavor assigner skips untolerated nodeTaints).
    assert inference["nodeTaints"] == [
        {"key": "mlplat.io/workload", "value": "inference", "effect": "NoSchedule"}
    ]
    assert "nodeTaints" not in training


def test_gpus_only_and_lost_pods_requeue(kueue):
    """Kueue counts GPUs alone (a CPU-only pod is admitted at once), and a job whose pod was
    lost to a reclaimed node goes back to the queue."""
    values = kueue.one("kubernetes:helm.sh/v4:Chart").inputs["values"]
    config = yaml.safe_load(values["managerConfig"]["controllerManagerConfigYaml"])
    assert config["resources"] == {"quotaCheckStrategy": "IgnoreUndeclared"}
    assert config["waitForPodsReady"]["recoveryTimeout"] == "5m"
    assert config["waitForPodsReady"]["requeuingStrategy"]["timestamp"] == "Eviction"


def test_serving_outranks_training_outranks_notebooks_and_batch(kueue):
    values = {
        r.inputs["metadata"]["name"]: r.inputs["value"]
        for r in kueue.of_type(f"{KIND}WorkloadPriorityClass")
    }
    assert values["serving"] > values["training"] > values["notebooks"] == values["batch"]


def test_every_kueue_object_is_valid_against_the_real_crds(kueue):
    folder = upstream_cache() / "crds" / "kueue" / f"v{KUEUE_VERSION}"
    crds = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    objects = [
        (
            r.urn,
            {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": r.type.rsplit(":", 1)[1]}
            | as_state(r.inputs),
        )
        for r in kueue.records
        if r.type.startswith(KIND)
    ]
    result = validate(objects, crds)
    assert result.custom == 11 and result.not_validated == []
    assert result.findings == []


def test_a_misspelt_field_is_caught_by_the_crd_check():
    """The check above can fail: a field v1beta2 does not have is pruned, and named."""
    folder = upstream_cache() / "crds" / "kueue" / f"v{KUEUE_VERSION}"
    crds = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    wrong = {
        "apiVersion": "kueue.x-k8s.io/v1beta2",
        "kind": "ClusterQueue",
        "metadata": {"name": "team-x"},
        "spec": {"cohort": "mlplat-prod"},  # v1beta1's spelling
    }
    (finding,) = validate([("test", wrong)], crds).findings
    assert "spec.cohort" in finding.message


def test_validation_names_every_problem():
    queues = [
        TeamQueue(
            team="a",
            namespace="team-a",
            quotas={
                "training": FlavorQuota(nominal=6, borrowing_limit=-1),
                "gpu-x": FlavorQuota(nominal=1),
                "inference": FlavorQuota(nominal=1, lending_limit=2),
            },
        ),
        TeamQueue(team="b", namespace="team-b", quotas={"training": FlavorQuota(nominal=4)}),
        TeamQueue(
            team="c",
            namespace="team-c",
            quotas={"inference": FlavorQuota(nominal=1, borrowing_limit=1)},
        ),
    ]
    assert validate_kueue_args(args(queues=queues)) == [
        "queues[a].quotas: got flavors ['gpu-x']; expected some of ['inference', 'training']",
        "queues[a].quotas[inference].lending_limit: got 2; expected at most nominal 1",
        "queues[a].quotas[inference]: got borrowing 0, lending 2; expected 0 on an inference "
        "flavor (serving keeps its nominal GPUs and borrows none)",
        "queues[a].quotas[training]: got a negative quota; expected GPUs >= 0",
        "queues[c].quotas[inference]: got borrowing 1, lending None; expected 0 on an inference "
        "flavor (serving keeps its nominal GPUs and borrows none)",
        "flavors[training]: got nominal quotas summing to 10 GPUs; expected at most the pool's "
        "limit 8",
    ]


def test_a_cohort_promising_more_than_a_pool_holds_is_refused(record):
    over = [TeamQueue(team="a", namespace="team-a", quotas={"inference": FlavorQuota(nominal=9)})]
    with pytest.raises(ValueError, match=r"Kueue prod: flavors\[inference\]: got nominal quotas"):
        record(lambda: Kueue("prod", args(queues=over)))


def test_the_serving_priority_is_reserved_to_pods_bound_for_the_inference_pools(kueue):
    """Run with a CEL interpreter against what a team could submit: training labelled
    `serving` would keep borrowed GPUs from being reclaimed and preempt other training."""
    policy, bound = admission_policy(kueue, "mlplat-serving-priority-on-inference-pools")
    spec = policy.inputs["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert [
        (r["apiGroups"], r["apiVersions"], r["resources"], r["operations"])
        for r in spec["matchConstraints"]["resourceRules"]
    ] == [
        ([""], ["v1"], ["pods"], ["CREATE", "UPDATE"]),
        (["batch"], ["v1"], ["jobs"], ["CREATE", "UPDATE"]),
        (["jobset.x-k8s.io"], ["v1alpha2"], ["jobsets"], ["CREATE", "UPDATE"]),
        (["trainer.kubeflow.org"], ["v1alpha1"], ["trainjobs"], ["CREATE", "UPDATE"]),
    ]
    assert policy.urn in bound.dependencies
    assert bound.inputs["spec"]["validationActions"] == ["Deny"]
    assert bound.inputs["spec"]["matchResources"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]
    }
    checks = [admission_check(v["expression"]) for v in spec["validations"]]

    def admitted(resource: str, obj: dict) -> bool:
        return all(check(resource, obj) for check in checks)

    serving = {"labels": {"kueue.x-k8s.io/priority-class": "serving"}}
    training = {"labels": {"kueue.x-k8s.io/priority-class": "training"}}
    on_inference = {"nodeSelector": {"mlplat.io/workload": "inference"}}
    on_training = {"nodeSelector": {"mlplat.io/workload": "training"}}
    # KServe's predictor pods, as components/serving.py labels and places them.
    assert admitted("pods", {"metadata": serving, "spec": on_inference})
    assert admitted("pods", {"metadata": training, "spec": on_training})
    assert admitted("pods", {"metadata": {}, "spec": {}})
    assert admitted("jobs", {"metadata": training, "spec": {}})
    assert admitted("trainjobs", {"metadata": {}, "spec": {}})
    # Training dressed as serving: on the training pools, or with no pool at all.
    assert not admitted("pods", {"metadata": serving, "spec": on_training})
    assert not admitted("pods", {"metadata": serving, "spec": {}})
    assert not admitted(
        "pods", {"metadata": serving, "spec": {"nodeSelector": {"mlplat.io/gpu-pool": "x"}}}
    )
    # Jobs of every framework Kueue admits take their priority from their own label.
    for resource in ("jobs", "jobsets", "trainjobs"):
        assert not admitted(resource, {"metadata": serving, "spec": on_inference})


def admission_policy(kueue, name: str):
    """The ValidatingAdmissionPolicy of this name and its binding."""
    (policy,) = [
        p
        for p in kueue.of_type(
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
        )
        if p.inputs["metadata"]["name"] == name
    ]
    (bound,) = [
        b
        for b in kueue.of_type(
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
        )
        if b.inputs["spec"]["policyName"] == name
    ]
    return policy, bound


def owned_by(kind: str, api_version: str, *, controller=True) -> dict:
    return {
        "ownerReferences": [
            {
                "apiVersion": api_version,
                "kind": kind,
                "name": "x",
                "uid": "u",
                "controller": controller,
            }
        ]
    }


def test_children_of_kueues_jobs_are_made_only_by_their_owners_controllers(kueue):
    """Kueue does not queue a pod under a Job it manages (the Job was queued): a team member
    who writes that owner reference by hand must be refused, or the pod runs outside Kueue."""
    policy, bound = admission_policy(kueue, "mlplat-kueue-children-from-their-controllers")
    spec = policy.inputs["spec"]
    assert spec["failurePolicy"] == "Fail" and bound.inputs["spec"]["validationActions"] == ["Deny"]
    assert policy.urn in bound.dependencies
    assert bound.inputs["spec"]["matchResources"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]
    }
    assert [r["resources"] for r in spec["matchConstraints"]["resourceRules"]] == [
        ["pods"],
        ["jobs"],
        ["jobsets"],
    ]
    (validation,) = spec["validations"]
    admitted = admission_check(validation["expression"])
    job = {"metadata": owned_by("Job", "batch/v1"), "spec": {}}
    jobset_child = {"metadata": owned_by("JobSet", "jobset.x-k8s.io/v1alpha2"), "spec": {}}
    trainjob_child = {"metadata": owned_by("TrainJob", "trainer.kubeflow.org/v1alpha1"), "spec": {}}
    job_controller = "system:serviceaccount:kube-system:job-controller"
    jobset_controller = "system:serviceaccount:kubeflow-system:jobset-controller-manager"
    trainer = "system:serviceaccount:kubeflow-system:kubeflow-trainer-controller-manager"
    # Each controller making its own children; what no Kueue job owns is Kueue's pod integration's.
    assert admitted("pods", job, user=job_controller)
    assert admitted("pods", job, user="system:kube-controller-manager")
    assert admitted("jobs", jobset_child, user=jobset_controller)
    assert admitted("jobsets", trainjob_child, user=trainer)
    assert admitted("pods", {"metadata": {}, "spec": {}})
    assert admitted("pods", {"metadata": owned_by("ReplicaSet", "apps/v1"), "spec": {}})
    assert admitted("pods", {"metadata": owned_by("Job", "batch/v1", controller=False)})
    # An owner reference already there stays through updates (finalizers, labels).
    assert admitted("pods", job, operation="UPDATE", old=job)
    # By hand: a pod under the team's admitted Job, a Job under a JobSet, a JobSet under a
    # TrainJob, a pod straight under a JobSet or TrainJob, or a reference added on update.
    assert not admitted("pods", job)
    assert not admitted("jobs", jobset_child)
    assert not admitted("jobsets", trainjob_child)
    assert not admitted("pods", jobset_child, user=jobset_controller)
    assert not admitted("pods", trainjob_child, user=trainer)
    assert not admitted("jobs", trainjob_child, user=trainer)
    assert not admitted("pods", job, operation="UPDATE", old={"metadata": {}, "spec": {}})
