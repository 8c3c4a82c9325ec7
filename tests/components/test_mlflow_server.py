"""MlflowServer: the tracking server as plain Kubernetes objects, under the recording mock."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.catalog import MLFLOW_IMAGE
from components.mlflow_server import START, MlflowServer, MlflowServerArgs
from components.placement import platform_placement
from tests.components.builders import (
    MODELS_BUCKET,
    STORAGE_KEY,
    kubernetes,
    model_registry,
    pod_identity,
)
from tests.recording import ACCOUNT, REGION, record

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1-abcdef"
BUCKET = MODELS_BUCKET


@pytest.fixture(scope="module")
def mlflow():
    def build():
        registry = model_registry()
        MlflowServer(
            "mlflow",
            MlflowServerArgs(
                image=MLFLOW_IMAGE,
                pod_identity=pod_identity(boundary=f"arn:aws:iam::{ACCOUNT}:policy/b"),
                region=REGION,
                role_name="mlplat-prod-mlflow-server",
                database_host="db.example.internal",
                database_secret_arn=SECRET,
                storage_key_arn=STORAGE_KEY,
                vpc_cidr="10.30.0.0/16",
                kubernetes_provider=kubernetes(),
            ),
            registry,
        )

    return record(build)


def test_children(mlflow):
    component = mlflow.one("mlplat:mlflow:MlflowServer")
    assert mlflow.child_types(component.urn) == Counter(
        {
            "kubernetes:core/v1:Namespace": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 2,
            "kubernetes:core/v1:ServiceAccount": 1,
            "mlplat:iam:WorkloadRole": 1,
            "kubernetes:core/v1:ConfigMap": 1,
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
        }
    )
    assert not mlflow.of_type("kubernetes:core/v1:Secret")  # the password never enters etcd


def test_namespace_is_restricted_and_default_deny(mlflow):
    labels = mlflow.one("kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in mlflow.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = policies["mlflow-server"]
    assert allow["ingress"] == [
        {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 5000}]}
    ]
    egress = {
        json.dumps(rule["to"]): [p["port"] for p in rule["ports"]] for rule in allow["egress"]
    }
    assert egress[json.dumps([{"ipBlock": {"cidr": "10.30.0.0/16"}}])] == [5432, 443]
    assert egress[json.dumps([{"ipBlock": {"cidr": "0.0.0.0/0"}}])] == [443]


def test_reachable_only_inside_the_cluster(mlflow):
    service = mlflow.one("kubernetes:core/v1:Service").inputs["spec"]
    assert service["type"] == "ClusterIP"
    assert [p["port"] for p in service["ports"]] == [5000]


def test_pod_runs_restricted_as_its_own_service_account(mlflow):
    account = mlflow.one("kubernetes:core/v1:ServiceAccount").inputs
    assert account["automountServiceAccountToken"] is False
    pod = mlflow.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "mlflow"
    # On the system nodes, never beside team pods (components/placement.py).
    assert {k: pod[k] for k in ("tolerations", "affinity")} == platform_placement()
    (container,) = pod["containers"]
    assert container["image"] == MLFLOW_IMAGE
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    env = {e["name"]: e for e in container["env"]}
    assert all("valueFrom" not in e for e in env.values())
    assert env["DB_SECRET_ARN"]["value"] == SECRET
    assert env["ARTIFACTS_DESTINATION"]["value"] == f"s3://{BUCKET}/mlflow/"


def test_role_reads_its_secret_and_writes_its_prefix_only(mlflow):
    policies = {
        r.urn.rsplit("::", 1)[1]: json.loads(r.inputs["policy"])["Statement"]
        for r in mlflow.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    secret = {s["Sid"]: s for s in policies["mlflow-server-policy"]}
    assert secret["ReadDatabaseSecret"]["Resource"] == [SECRET]
    assert secret["DecryptSecretThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }
    (artifacts,) = [v for k, v in policies.items() if k.startswith("registry-write-mlflow")]
    writes = {s["Sid"]: s for s in artifacts}
    assert writes["WriteModels"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/mlflow/*"]
    association = mlflow.one("aws:eks/podIdentityAssociation:PodIdentityAssociation").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("mlflow", "mlflow")


def test_the_start_script_is_python_and_requires_tls():
    compile(START, "start.py", "exec")
    assert "sslmode=require" in START and '"5000"' in START
