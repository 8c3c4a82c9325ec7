"""`mlplat render`: what the provider would build from each kustomization, from the upstream
cache, attributed; and the apply order derived from it, proven against the program's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlplat.apply_order import DEPENDS_ON, order_problems
from mlplat.kustomize import PLACEHOLDER
from mlplat.render import RENDERED_BY, render
from mlplat.synth import synthesize

CACHE = Path(__file__).resolve().parents[2].parent / "shared" / "upstream"


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    resources = json.loads(json.dumps(synthesize("prod").state))["deployment"]["resources"]
    out = tmp_path_factory.mktemp("rendered")
    return resources, render(resources, out, CACHE), out


def by_name(result, name):
    return next(objs for urn, objs in result.rendered.items() if urn.endswith(f"::{name}"))


def test_every_kustomization_renders_attributed(prod):
    resources, result, out = prod
    directories = {r["urn"].rsplit("::", 1)[1] for r in resources if r["type"] == "kubernetes:kustomize/v2:Directory"}  # fmt: skip
    assert set(result.objects) == directories and not result.failed
    assert result.ok, (result.order_problems, result.chart_problems)
    # Trainer's JobSet release file comes from the cache's http/ tree, named locally.
    assert any(o["kind"] == "Deployment" and o["metadata"]["name"] == "jobset-controller-manager" for o in by_name(result, "prod-trainer"))  # fmt: skip
    assert {o["metadata"]["name"] for o in by_name(result, "prod-kubeflow-namespace") if o["kind"] == "Namespace"} == {"kubeflow", "kubeflow-system"}  # fmt: skip
    assert sum(result.objects.values()) > 500
    for name in result.objects:
        for item in yaml.safe_load_all((out / f"{name}.yaml").read_text()):
            assert item["metadata"]["annotations"][RENDERED_BY].endswith(f"::{name}")


def test_the_controllers_kueue_children_may_come_from_are_the_rendered_ones(prod):
    """The admission policy lets a TrainJob's JobSet and a JobSet's Jobs be made by these
    identities only: they are the service accounts the pinned trainer tree deploys."""
    from components.kubeflow import JOBSET_CONTROLLER, TRAINER_CONTROLLER

    _, result, _ = prod
    identities = {
        o["metadata"]["name"]: "system:serviceaccount:"
        f"{o['metadata']['namespace']}:{o['spec']['template']['spec']['serviceAccountName']}"
        for o in by_name(result, "prod-trainer")
        if o["kind"] == "Deployment"
    }
    assert identities["jobset-controller-manager"] == JOBSET_CONTROLLER
    assert identities["kubeflow-trainer-controller-manager"] == TRAINER_CONTROLLER


def test_the_script_the_cache_leaves_out_is_a_named_placeholder(prod):
    _, result, _ = prod
    (carrier,) = result.placeholders["prod-pipelines"]
    assert carrier.startswith("ConfigMap kubeflow/kubeflow-pipelines-profile-controller-code-") and carrier.endswith("(sync.py)")  # fmt: skip
    assert set(result.placeholders) == {"prod-pipelines"}
    config = next(o for o in by_name(result, "prod-pipelines") if o["kind"] == "ConfigMap" and "sync.py" in (o.get("data") or {}))  # fmt: skip
    assert config["data"]["sync.py"].strip() == PLACEHOLDER


def test_kubeflow_26_03_ships_what_its_tag_pins(prod):
    # Read from what renders, not from release notes: the tag pins Istio 1.28.0 (not 1.29).
    _, result, _ = prod
    images = {
        c["image"]
        for objs in result.rendered.values()
        for o in objs
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
    }
    assert {"kserve/kserve-controller:v0.16.0", "gcr.io/istio-release/pilot:1.28.0", "quay.io/jetstack/cert-manager-webhook:v1.19.4", "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.1.0"} <= images  # fmt: skip


def moved(resources, urn_suffix, dependencies):
    return [{**r, "dependencies": dependencies} if r["urn"].endswith(urn_suffix) else r for r in resources]  # fmt: skip


def test_a_namespace_created_a_stage_too_late_is_caught(prod):
    resources, result, _ = prod
    assert any(o["kind"] == "Sidecar" and o["metadata"].get("namespace") == "kubeflow" for o in by_name(result, "prod-istio"))  # fmt: skip
    # Istio no longer waiting for the foundation stage (the 1.11 layout's bug).
    problems = order_problems(
        moved(resources, "::prod-istio", []), result.rendered, result.chart_crds
    )
    assert any(p.startswith("prod-istio: Sidecar kubeflow/") and "needs namespace kubeflow, which prod-kubeflow-namespace creates, but does not wait for it" in p for p in problems)  # fmt: skip


def test_a_custom_resource_before_its_chart_crd_is_caught(prod):
    resources, result, _ = prod
    pools = next(r["urn"] for r in resources if r["type"] == "mlplat:gpu:GpuPools")
    problems = order_problems(moved(resources, pools, []), result.rendered, result.chart_crds)
    assert any("NodePool" in p and "needs the CRD nodepools.karpenter.sh, which prod-chart installs, but does not wait for it" in p for p in problems)  # fmt: skip
    # Without the chart's CRDs (not in the cache), it has no CRD at all: named, not passed.
    problems = order_problems(resources, result.rendered, {})
    assert any("NodePool" in p and "no CRD for karpenter.sh/NodePool" in p for p in problems)


def without_waits(objects):
    cleared = []
    for o in objects:
        annotations = {k: v for k, v in (o["metadata"].get("annotations") or {}).items() if k != DEPENDS_ON}  # fmt: skip
        cleared.append({**o, "metadata": {**o["metadata"], "annotations": annotations}})
    return cleared


@pytest.mark.parametrize(
    ("directory", "admitted", "webhook"),
    [
        ("prod-cert-manager", "ClusterIssuer kubeflow-self-signing-issuer", "webhook.cert-manager.io"),
        ("prod-kserve", "ClusterServingRuntime kserve-sklearnserver", "clusterservingruntime.kserve-webhook-server.validator"),
        ("prod-trainer", "ClusterTrainingRuntime torch-distributed", "validator.clustertrainingruntime.trainer.kubeflow.org"),
        ("prod-knative-serving", "Certificate knative-serving/routing-serving-certs", "webhook.serving.knative.dev"),
    ],
)  # fmt: skip
def test_a_webhook_racing_what_it_admits_is_caught(prod, directory, admitted, webhook):
    resources, result, _ = prod
    rendered = {u: without_waits(o) if u.endswith(f"::{directory}") else o for u, o in result.rendered.items()}  # fmt: skip
    problems = order_problems(resources, rendered, result.chart_crds)
    assert any(p.startswith(f"{directory}: {admitted} is admitted by webhook {webhook} ({directory}, failurePolicy Fail) but does not wait for Deployment") for p in problems), problems  # fmt: skip


def test_a_depends_on_naming_nothing_the_directory_applies_is_caught(prod):
    resources, result, _ = prod
    rendered = dict(result.rendered)
    urn = next(u for u in rendered if u.endswith("::prod-kserve"))
    rendered[urn] = [
        {**o, "metadata": {**o["metadata"], "annotations": {DEPENDS_ON: "apps/namespaces/kubeflow/Deployment/kserve-typo"}}}
        if o["kind"] == "ClusterServingRuntime" else o
        for o in rendered[urn]
    ]  # fmt: skip
    problems = order_problems(resources, rendered, result.chart_crds)
    assert any("has config.kubernetes.io/depends-on apps/namespaces/kubeflow/Deployment/kserve-typo, which prod-kserve does not apply" in p for p in problems)  # fmt: skip
    # ... and the webhook race it leaves is caught too.
    assert any(p.startswith("prod-kserve: ClusterServingRuntime") and "does not wait for Deployment kubeflow/kserve-controller-manager" in p for p in problems)  # fmt: skip


def test_a_build_is_reused_only_for_the_same_inputs(prod, tmp_path, monkeypatch):
    import mlplat.render as rendering

    resources, first, _ = prod
    calls = []

    def counted(target, environment):
        calls.append(str(target))
        return real(target, environment)

    real = rendering.build_in
    monkeypatch.setattr(rendering, "build_in", counted)
    again = render(resources, tmp_path / "again", CACHE)
    assert calls == [] and again.objects == first.objects  # warm: nothing rebuilt
    # An edited overlay is built afresh (its files are in the key); the others are reused.
    overlay = next(r for r in resources if r["urn"].endswith("::prod-kserve"))
    copy = tmp_path / "kserve"
    copy.mkdir()
    text = (rendering.ROOT / overlay["inputs"]["directory"] / "kustomization.yaml").read_text()
    (copy / "kustomization.yaml").write_text(
        text.replace(
            "kserve-webhook-server-service",
            "kserve-webhook-server-service,/namespaces/kubeflow/Service/kserve-controller-manager-metrics-service",
        )
    )
    edited = [{**r, "inputs": {**r["inputs"], "directory": str(copy)}} if r is overlay else r for r in resources]  # fmt: skip
    render(edited, tmp_path / "edited", CACHE)
    assert calls == [str(copy)]


def test_a_ref_the_cache_lacks_is_reported_not_rendered(tmp_path):
    directory = {"urn": "urn:pulumi:dev::mlplat::kubernetes:kustomize/v2:Directory::dev-x", "type": "kubernetes:kustomize/v2:Directory", "inputs": {"directory": "https://github.com/kubeflow/manifests//common/istio/istio-crds/base?ref=v9.9.9"}}  # fmt: skip
    result = render([directory], tmp_path / "out", CACHE)
    assert result.failed == {"dev-x": f"not rendered: not in the cache: github.com/kubeflow/manifests at v9.9.9 (MLPLAT_UPSTREAM={CACHE}; `mlplat upstream fetch` fills it)"}  # fmt: skip
    assert not result.ok


def test_without_a_cache_every_remote_kustomization_says_so(tmp_path):
    directory = {"urn": "urn:pulumi:dev::mlplat::kubernetes:kustomize/v2:Directory::dev-x", "type": "kubernetes:kustomize/v2:Directory", "inputs": {"directory": "https://github.com/kubeflow/manifests//common/istio/istio-crds/base?ref=26.03"}}  # fmt: skip
    result = render([directory], tmp_path / "out", tmp_path / "no-cache")
    assert result.failed["dev-x"].startswith("not rendered: not in the cache: github.com/kubeflow/manifests at 26.03")  # fmt: skip
