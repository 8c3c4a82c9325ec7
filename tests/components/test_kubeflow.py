"""Kubeflow: pinned upstream stages without the demo parts, our login proxy, the gateway's
authentication, and the generated overlays (culling, webhook waits)."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from components.kubeflow import (
    OVERLAID,
    STAGES,
    Kubeflow,
    KubeflowArgs,
    Oidc,
    notebook_controller_overlay,
    validate_kubeflow_args,
    webhook_wait_overlay,
)
from components.placement import platform_placement
from policies.engine import run_resource_rule
from policies.framework import Ctx
from policies.rules import all_rules
from tests.components.builders import kubernetes
from tests.recording import record

ISSUER = "https://login.example.com/oauth2/mlplat-prod"
OVERLAYS = {component: f"manifests/kubeflow/prod/{component}" for component in OVERLAID}
IMAGE = "quay.io/oauth2-proxy/oauth2-proxy:v7.15.3"


@pytest.fixture(scope="module")
def kubeflow():
    def build():
        Kubeflow(
            "kf",
            KubeflowArgs(
                version="26.03",
                oidc=Oidc(
                    issuer_url=ISSUER,
                    client_id="mlplat-prod-kubeflow",
                    email_domains=["example.com"],
                ),
                overlays=OVERLAYS,
                oauth2_proxy_image=IMAGE,
                kubernetes_provider=kubernetes(),
            ),
        )

    return record(build)


def test_children(kubeflow):
    component = kubeflow.one("mlplat:kubeflow:Kubeflow")
    upstream = sum(len(components) for _, components in STAGES)
    assert kubeflow.child_types(component.urn) == Counter(
        {
            "kubernetes:kustomize/v2:Directory": upstream,
            "kubernetes:core/v1:Namespace": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 2,
            "kubernetes:core/v1:ServiceAccount": 1,
            "kubernetes:core/v1:ConfigMap": 1,
            "kubernetes:apps/v1:Deployment": 1,
            "kubernetes:core/v1:Service": 1,
            "kubernetes:security.istio.io/v1:RequestAuthentication": 1,
            "kubernetes:security.istio.io/v1:AuthorizationPolicy": 2,
            "kubernetes:networking.istio.io/v1:VirtualService": 1,
        }
    )


def directories(kubeflow) -> dict[str, str]:
    return {
        d.urn.rsplit("::", 1)[1]: d.inputs["directory"]
        for d in kubeflow.of_type("kubernetes:kustomize/v2:Directory")
    }


def test_upstream_is_pinned_to_the_release_tag_and_leaves_the_demo_parts_out(kubeflow):
    sources = directories(kubeflow)
    remote = {n: s for n, s in sources.items() if s.startswith("https://")}
    assert all(
        s.startswith("https://github.com/kubeflow/manifests//") and s.endswith("?ref=26.03")
        for s in remote.values()
    )
    paths = " ".join(remote.values())
    for demo in ("common/dex", "common/oauth2-proxy", "common/user-namespace"):
        assert f"//{demo}" not in paths
    # The overlaid components come from their generated overlays, and only those.
    assert {n: s for n, s in sources.items() if n not in remote} == {
        f"kf-{c}": path for c, path in OVERLAYS.items()
    }
    assert sources["kf-istio"].endswith(
        "//common/istio/istio-install/overlays/oauth2-proxy?ref=26.03"
    )


def test_every_upstream_source_passes_the_pinning_and_demo_credential_rules(kubeflow):
    rules = {r.name: r for r in all_rules()}
    for directory in kubeflow.of_type("kubernetes:kustomize/v2:Directory"):
        for name in ("helm-chart-pinned", "kubeflow-dex-no-demo-user"):
            ctx = Ctx(
                config=rules[name].configured({}),
                urn=directory.urn,
                name="d",
                type=directory.type,
                protect=False,
                provider_props={},
            )
            assert run_resource_rule(rules[name], directory.inputs, ctx).status == "pass"


def test_upstream_services_and_the_login_proxy_run_on_the_system_nodes(kubeflow):
    # Upstream's Deployments and StatefulSets get the placement from a transform the engine
    # applies to each Directory's children (tests/unit/test_placement.py shows what it does).
    for directory in kubeflow.of_type("kubernetes:kustomize/v2:Directory"):
        assert directory.transforms == 1, directory.urn
    (deployment,) = kubeflow.of_type("kubernetes:apps/v1:Deployment")
    assert deployment.transforms == 0  # placed in its own spec
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert {k: pod[k] for k in ("tolerations", "affinity")} == platform_placement()


def test_stages_wait_for_the_one_before(kubeflow):
    urns = {
        d.urn.rsplit("::", 1)[1]: d for d in kubeflow.of_type("kubernetes:kustomize/v2:Directory")
    }
    stage = [{urns[f"kf-{c}"].urn for c, _ in components} for _, components in STAGES]
    assert [name for name, _ in STAGES] == [
        "foundation",
        "istio",
        "mesh",
        "applications",
    ]
    assert not urns["kf-cert-manager"].dependencies
    # The kubeflow namespace exists before Istio puts its Sidecars in it.
    assert urns["kf-kubeflow-namespace"].urn in urns["kf-istio"].dependencies
    assert set(urns["kf-istio"].dependencies) == stage[0]
    assert set(urns["kf-knative-serving"].dependencies) == stage[1]
    assert set(urns["kf-pipelines"].dependencies) == stage[2]
    assert set(urns["kf-notebook-controller"].dependencies) == stage[2]


def test_login_proxy_uses_the_environment_issuer_and_secret_files(kubeflow):
    (config,) = kubeflow.of_type("kubernetes:core/v1:ConfigMap")
    cfg = config.inputs["data"]["oauth2_proxy.cfg"]
    assert f'oidc_issuer_url = "{ISSUER}"' in cfg
    assert 'client_id = "mlplat-prod-kubeflow"' in cfg
    assert 'email_domains = [ "example.com" ]' in cfg
    assert "cookie_secure = true" in cfg
    assert "dex" not in cfg and "client_secret =" not in cfg and "cookie_secret =" not in cfg
    (deployment,) = kubeflow.of_type("kubernetes:apps/v1:Deployment")
    pod = deployment.inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == IMAGE
    assert "env" not in container  # no secret in an environment variable
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    secret = next(v for v in pod["volumes"] if v["name"] == "credentials")["secret"]
    assert secret == {"secretName": "oauth2-proxy-credentials", "defaultMode": 0o400}
    (service,) = kubeflow.of_type("kubernetes:core/v1:Service")
    assert service.inputs["spec"]["type"] == "ClusterIP"
    assert service.inputs["spec"]["ports"][0]["port"] == 80  # what Istio's ext-authz calls


def test_login_proxy_namespace_is_restricted_and_reached_only_from_the_gateway(kubeflow):
    (namespace,) = kubeflow.of_type("kubernetes:core/v1:Namespace")
    assert (
        namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in kubeflow.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["default-deny"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policies["oauth2-proxy"]["ingress"]
    assert ingress["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}
    ]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 4180}]


def test_gateway_trusts_only_the_issuer_and_denies_requests_without_a_token(kubeflow):
    (jwt,) = kubeflow.of_type("kubernetes:security.istio.io/v1:RequestAuthentication")
    (rule,) = jwt.inputs["spec"]["jwtRules"]
    assert rule["issuer"] == ISSUER
    assert rule["outputClaimToHeaders"][0] == {"header": "kubeflow-userid", "claim": "email"}
    policies = {
        p.inputs["spec"]["action"]: p.inputs["spec"]
        for p in kubeflow.of_type("kubernetes:security.istio.io/v1:AuthorizationPolicy")
    }
    assert policies["CUSTOM"]["provider"] == {"name": "oauth2-proxy"}
    (deny,) = policies["DENY"]["rules"]
    assert deny["from"] == [{"source": {"notRequestPrincipals": ["*"]}}]
    assert deny["to"] == [{"operation": {"notPaths": ["/oauth2/*"]}}]  # no /dex/ exemption


def test_culling_overlay_merges_into_upstreams_config():
    text = notebook_controller_overlay(45, "26.03", "dev")
    assert text.startswith("# Generated by `make generate` from environments/Pulumi.dev.yaml")
    kustomization = yaml.safe_load(text)
    assert kustomization["resources"] == [
        "https://github.com/kubeflow/manifests//applications/jupyter/notebook-controller/"
        "upstream/overlays/kubeflow?ref=26.03"
    ]
    (generator,) = kustomization["configMapGenerator"]
    # The prefixed name: a merge into `config` does not build (tests/synthesis/test_kustomize.py).
    assert generator["behavior"] == "merge" and generator["name"] == "notebook-controller-config"
    assert generator["literals"] == [
        "ENABLE_CULLING=true",
        "CULL_IDLE_TIME=45",
        "IDLENESS_CHECK_PERIOD=5",
    ]


def test_webhook_wait_overlay_annotates_every_admitted_kind():
    kustomization = yaml.safe_load(
        webhook_wait_overlay("kserve", "applications/kserve/kserve", "26.03")
    )
    assert kustomization["resources"] == ["https://github.com/kubeflow/manifests//applications/kserve/kserve?ref=26.03"]  # fmt: skip
    (patch,) = kustomization["patches"]
    assert patch["target"] == {"group": "serving.kserve.io", "version": "v1alpha1", "kind": "ClusterServingRuntime"}  # fmt: skip
    annotations = yaml.safe_load(patch["patch"])["metadata"]["annotations"]
    assert annotations == {
        "config.kubernetes.io/depends-on": "apps/namespaces/kubeflow/Deployment/kserve-controller-manager,/namespaces/kubeflow/Service/kserve-webhook-server-service"
    }


def test_validator_names_every_problem_at_once():
    args = KubeflowArgs(
        version="26.03",
        oidc=Oidc(issuer_url=ISSUER, client_id="c", email_domains=["example.com"]),
        overlays={"kserve": "manifests/kubeflow/prod/kserve", "katib": "x"},
        oauth2_proxy_image=IMAGE,
        oauth2_proxy_replicas=0,
        kubernetes_provider=None,  # type: ignore[arg-type]
    )
    assert validate_kubeflow_args(args) == [
        "overlays: missing ['cert-manager', 'knative-serving', 'notebook-controller', 'trainer']; expected one local kustomization for each of ['notebook-controller', 'cert-manager', 'knative-serving', 'kserve', 'trainer'] (`make generate`)",
        "overlays: got ['katib']; expected only ['notebook-controller', 'cert-manager', 'knative-serving', 'kserve', 'trainer']",
        "oauth2_proxy_replicas: got 0; expected >= 1 (every login goes through it)",
    ]
