"""Teams: per-team Kubeflow Profile, namespace, quota, limit range, network policies, registry
role and pipelines' artifact store."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml

from components.teams import Team, Teams, TeamsArgs
from tests.components.builders import (
    MODELS_BUCKET,
    admission_check,
    kubernetes,
    model_registry,
    pod_identity,
)
from tests.recording import ACCOUNT, REGION, record

BUCKET = MODELS_BUCKET
TEAMS = [
    Team(
        name="fraud",
        owners=["lead@example.com", "Second.Lead@example.com"],
        gpu_quota=4,
        cpu_quota="32",
        memory_quota="128Gi",
    ),
    Team(name="reco", owners=["r@example.com"], gpu_quota=0, cpu_quota="8", memory_quota="32Gi"),
]


@pytest.fixture(scope="module")
def teams():
    def build():
        registry = model_registry()
        Teams(
            "teams",
            TeamsArgs(
                teams=TEAMS,
                name_prefix="mlplat-prod",
                pod_identity=pod_identity(boundary=f"arn:aws:iam::{ACCOUNT}:policy/b"),
                region=REGION,
                kubernetes_provider=kubernetes(),
            ),
            registry,
        )

    return record(build)


def in_namespace(recording, type_: str, namespace: str) -> list:
    return [
        r for r in recording.of_type(type_) if r.inputs["metadata"].get("namespace") == namespace
    ]


def test_children_per_team(teams):
    component = teams.one("mlplat:teams:Teams")
    assert teams.child_types(component.urn) == Counter(
        {
            "kubernetes:core/v1:Namespace": 2,
            "kubernetes:kubeflow.org/v1:Profile": 2,
            "kubernetes:core/v1:ResourceQuota": 2,
            "kubernetes:core/v1:LimitRange": 2,
            "kubernetes:core/v1:ConfigMap": 2,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 4,
            # The second owner of fraud: an admin binding and its Istio access.
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 1,
            "kubernetes:security.istio.io/v1:AuthorizationPolicy": 1,
            "mlplat:iam:WorkloadRole": 2,
            # Once for every team: team pods stay off the system nodes.
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": 1,
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": 1,
        }
    )


def test_team_pods_that_tolerate_the_system_taint_are_refused_at_admission(teams):
    policy = teams.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
    spec = policy.inputs["spec"]
    assert spec["failurePolicy"] == "Fail"
    (rule,) = spec["matchConstraints"]["resourceRules"]
    assert rule == {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["pods"],
    }
    (validation,) = spec["validations"]
    bound = teams.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    assert policy.urn in bound.dependencies
    binding = bound.inputs
    assert binding["spec"]["policyName"] == policy.inputs["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert binding["spec"]["matchResources"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]
    }
    # The expression, run by a CEL interpreter against pods a team could write.
    check = admission_check(validation["expression"])

    def admitted(pod: dict) -> bool:
        return check("pods", pod)

    gpu = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert admitted({"spec": {"containers": []}})
    assert admitted({"spec": {"tolerations": [gpu]}})
    assert admitted({"spec": {"tolerations": [{"key": "", "operator": "Equal", "value": "x"}]}})
    assert not admitted({"spec": {"tolerations": [gpu, {"key": "CriticalAddonsOnly"}]}})
    assert not admitted({"spec": {"tolerations": [{"operator": "Exists"}]}})
    assert not admitted({"spec": {"tolerations": [{"key": "", "operator": "Exists"}]}})


def test_profile_adopts_the_namespace_with_its_first_owner(teams):
    profiles = {
        p.inputs["metadata"]["name"]: p.inputs
        for p in teams.of_type("kubernetes:kubeflow.org/v1:Profile")
    }
    assert set(profiles) == {"team-fraud", "team-reco"}
    assert profiles["team-fraud"]["spec"] == {"owner": {"kind": "User", "name": "lead@example.com"}}
    assert "namespace" not in profiles["team-fraud"]["metadata"]  # cluster-scoped


def test_other_owners_are_admins_the_way_kubeflow_access_management_writes_them(teams):
    name = "user-second-lead-example-com-clusterrole-admin"
    (binding,) = teams.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert binding.inputs["metadata"] == {
        "name": name,
        "namespace": "team-fraud",
        "annotations": {"user": "Second.Lead@example.com", "role": "admin"},
    }
    assert binding.inputs["roleRef"]["name"] == "kubeflow-admin"
    assert binding.inputs["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "Second.Lead@example.com"}
    ]
    (access,) = teams.of_type("kubernetes:security.istio.io/v1:AuthorizationPolicy")
    assert access.inputs["metadata"]["name"] == name
    assert access.inputs["spec"] == {
        "action": "ALLOW",
        "rules": [
            {
                "when": [
                    {
                        "key": "request.headers[kubeflow-userid]",
                        "values": ["Second.Lead@example.com"],
                    }
                ]
            }
        ],
    }


def test_pipelines_keep_artifacts_under_the_team_prefix_with_pod_identity(teams):
    (launcher,) = in_namespace(teams, "kubernetes:core/v1:ConfigMap", "team-fraud")
    assert launcher.inputs["metadata"]["name"] == "kfp-launcher"
    data = launcher.inputs["data"]
    assert data["defaultPipelineRoot"] == f"s3://{BUCKET}/teams/fraud/pipelines"
    assert yaml.safe_load(data["providers"]) == {
        "s3": {
            "default": {
                "endpoint": f"s3.{REGION}.amazonaws.com",
                "region": REGION,
                "disableSSL": False,
                "credentials": {"fromEnv": True},
            }
        }
    }


def test_namespace_is_restricted_and_adoptable_by_kubeflow(teams):
    namespaces = {
        n.inputs["metadata"]["name"]: n.inputs["metadata"]
        for n in teams.of_type("kubernetes:core/v1:Namespace")
    }
    fraud = namespaces["team-fraud"]
    assert fraud["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert fraud["annotations"] == {"owner": "lead@example.com"}


def test_quota_caps_gpus_and_forbids_public_services(teams):
    (quota,) = in_namespace(teams, "kubernetes:core/v1:ResourceQuota", "team-fraud")
    assert quota.inputs["spec"]["hard"] == {
        "requests.cpu": "32",
        "limits.cpu": "32",
        "requests.memory": "128Gi",
        "limits.memory": "128Gi",
        "requests.nvidia.com/gpu": "4",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    (reco,) = in_namespace(teams, "kubernetes:core/v1:ResourceQuota", "team-reco")
    assert reco.inputs["spec"]["hard"]["requests.nvidia.com/gpu"] == "0"
    (limits,) = in_namespace(teams, "kubernetes:core/v1:LimitRange", "team-fraud")
    (item,) = limits.inputs["spec"]["limits"]
    assert item["default"] == item["defaultRequest"] == {"cpu": "500m", "memory": "1Gi"}


def test_network_is_default_deny_and_other_teams_cannot_reach_in(teams):
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in in_namespace(teams, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "team-fraud")
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    own, platform = policies["team"]["ingress"]
    assert own == {"from": [{"podSelector": {}}]}
    # Besides its own pods, only the gateways, Knative's activator and Kubeflow reach in.
    callers = [p["namespaceSelector"]["matchLabels"] for p in platform["from"]]
    assert callers == [
        {"kubernetes.io/metadata.name": n}
        for n in ("istio-system", "knative-serving", "kubeflow", "monitoring")
    ]
    egress = {
        json.dumps(rule["to"]): [p["port"] for p in rule.get("ports", [])]
        for rule in policies["team"]["egress"]
    }
    by_namespace = {k: v for k, v in egress.items() if "kubernetes.io/metadata.name" in k}
    assert sorted(by_namespace.values()) == [[53, 53], [5000], [8888, 8887, 8080, 9000], [15012]]


def test_each_team_role_writes_its_prefix_and_reads_approved_only(teams):
    roles = {r.inputs["name"]: r for r in teams.of_type("aws:iam/role:Role")}
    assert set(roles) == {"mlplat-prod-team-fraud", "mlplat-prod-team-reco"}
    associations = {
        a.inputs["namespace"]: a.inputs["serviceAccount"]
        for a in teams.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert associations == {"team-fraud": "default-editor", "team-reco": "default-editor"}
    grants = {
        r.urn.rsplit("::", 1)[1]: json.loads(r.inputs["policy"])["Statement"]
        for r in teams.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    fraud = [s for name, sts in grants.items() if name.endswith("teams-fraud-role") for s in sts]
    resources = {
        r for s in fraud if s["Sid"] in ("ReadModels", "WriteModels") for r in s["Resource"]
    }
    assert resources == {
        f"arn:aws:s3:::{BUCKET}/teams/fraud/*",
        f"arn:aws:s3:::{BUCKET}/approved/*",
    }
    assert not any("teams/reco" in json.dumps(s) for s in fraud)


def test_team_roles_carry_the_teams_cost_allocation_tag(teams):
    tags = {r.inputs["name"]: r.inputs.get("tags") for r in teams.of_type("aws:iam/role:Role")}
    assert tags == {
        "mlplat-prod-team-fraud": {"mlplat.io/team": "fraud"},
        "mlplat-prod-team-reco": {"mlplat.io/team": "reco"},
    }
