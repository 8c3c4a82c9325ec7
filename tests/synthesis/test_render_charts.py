"""`mlplat render` of a chart the upstream cache holds whole: the real Helm (helm-python-sdk),
with the provider's semantics (release name, hooks, CRDs, default namespace). The shared cache
holds no templates, so the chart here is a small one made for the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlplat import helm
from mlplat.render import RENDERED_BY, chart_crds, render, rendered_children
from mlplat.state import Checkpoint

CHART = "kubernetes:helm.sh/v4:Chart"
TEMPLATES = {
    "deployment.yaml": """
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-server}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers: [{name: server, image: "example.io/demo:{{ .Chart.AppVersion }}"}]
      {{- if .Values.tls }}
      volumes: [{name: tls, secret: {secretName: {{ .Release.Name }}-tls}}]
      {{- end }}
""",
    "rbac.yaml": """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ .Release.Name }}-reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: example.io/v1
kind: Widget
metadata: {name: {{ .Release.Name }}-widget}
spec: {size: 1}
""",
    # Hooks: the provider never applies them; the tls Secret exists only through this Job.
    "hooks.yaml": """
{{- if .Values.tls }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-make-tls
  annotations: {helm.sh/hook: pre-install}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: make, image: "example.io/certgen:1"}]
{{- end }}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {helm.sh/hook: test}
spec: {containers: [{name: t, image: "example.io/test:1"}]}
""",
    "NOTES.txt": "Installed {{ .Release.Name }}.\n",
    "_helpers.tpl": '{{- define "demo.name" }}demo{{ end }}\n',
    "broken.yaml": '{{- if .Values.broken }}{{ fail "the chart refuses broken: true" }}{{ end }}\n',
}
WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.io"},
    "spec": {
        "group": "example.io", "scope": "Cluster",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer", "minimum": 1}}}}}}}],
    },
}  # fmt: skip


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = tmp_path / "upstream" / "charts" / "demo" / "1.0.0"
    (folder / "templates").mkdir(parents=True)
    (folder / "crds").mkdir()
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.0.0\nappVersion: v2.3.4\n")  # fmt: skip
    (folder / "values.yaml").write_text("replicas: 1\ntls: false\nbroken: false\n")
    (folder / "crds" / "widgets.yaml").write_text(yaml.safe_dump(WIDGET_CRD))
    for name, text in TEMPLATES.items():
        (folder / "templates" / name).write_text(text)
    return tmp_path / "upstream"


def chart(values: dict | None = None, **inputs) -> dict:
    return {
        "urn": "urn:pulumi:dev::mlplat::mlplat:demo:Demo$kubernetes:helm.sh/v4:Chart::dev-demo",
        "type": CHART,
        "custom": False,
        "inputs": {
            "chart": "demo",
            "version": "1.0.0",
            "namespace": "default",
            "values": {"replicas": 2, **(values or {})},
            **inputs,
        },
    }


def kinds(objects: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects)  # fmt: skip


def test_a_whole_chart_renders_as_the_provider_applies_it(cache, tmp_path):
    result = render([chart(name="demo")], tmp_path / "out", cache)
    (objects,) = result.rendered.values()
    # Release name as given; hooks (pre-install and test) and NOTES.txt left out; the chart's
    # CRD included; the release namespace on namespaced objects only (the Widget's CRD is
    # cluster-scoped).
    assert kinds(objects) == [
        ("ClusterRole", "", "demo-reader"),
        ("CustomResourceDefinition", "", "widgets.example.io"),
        ("Deployment", "default", "demo-server"),
        ("Widget", "", "demo-widget"),
    ]
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert (
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "example.io/demo:v2.3.4"
    )
    assert result.charts == {"dev-demo": "demo 1.0.0: rendered (release demo); values checked"}
    assert result.ok, (result.failed, result.order_problems, result.schema_problems)
    # Its CRDs come from the render, not from the cache's crds/ folder.
    assert chart_crds([chart(name="demo")], cache) == {}
    written = list(yaml.safe_load_all((tmp_path / "out" / "dev-demo.yaml").read_text()))
    assert {o["metadata"]["annotations"][RENDERED_BY] for o in written} == {chart()["urn"]}
    # Children named as the provider names a Chart's: `<chart>:<namespace>/<name>`.
    parent = {**chart(name="demo"), "parent": None}
    checkpoint, count = rendered_children(
        Checkpoint(version=3, stack="dev", resources=(parent,)), tmp_path / "out"
    )
    assert count == 4
    assert "urn:pulumi:dev::mlplat::mlplat:demo:Demo$kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::dev-demo:default/demo-server" in {r["urn"] for r in checkpoint.resources}  # fmt: skip


def test_without_a_name_the_release_is_the_resource_name_and_that_is_reported(cache, tmp_path):
    result = render([chart()], tmp_path / "out", cache)
    assert "Deployment" in {o["kind"] for o in result.rendered[chart()["urn"]]}
    assert {o["metadata"]["name"] for o in result.rendered[chart()["urn"]] if o["kind"] == "Deployment"} == {"dev-demo-server"}  # fmt: skip
    assert [p.message for p in result.chart_problems] == [
        "no release name (`name`): the provider would name the release, and so every object the chart names after it, dev-demo"
    ]  # fmt: skip


def test_skip_crds_leaves_the_chart_crds_out(cache, tmp_path):
    result = render([chart(name="demo", skipCrds=True)], tmp_path / "out", cache)
    assert "CustomResourceDefinition" not in {o["kind"] for o in result.rendered[chart()["urn"]]}
    assert result.order_problems == ["dev-demo: Widget default/demo-widget: no CRD for example.io/Widget in what the program applies"]  # fmt: skip


def test_a_secret_only_a_hook_creates_fails_the_apply_order(cache, tmp_path):
    # kube-prometheus-stack's admission Secret, in small: made by a pre-install Job.
    result = render([chart({"tls": True}, name="demo")], tmp_path / "out", cache)
    assert result.order_problems == [
        "dev-demo: Deployment default/demo-server needs Secret default/demo-tls, which nothing the program applies creates, and the provider waits for it to be ready"
    ]  # fmt: skip


def test_a_chart_that_does_not_render_is_reported_with_helms_message(cache, tmp_path):
    result = render([chart({"broken": True}, name="demo")], tmp_path / "out", cache)
    assert list(result.failed) == ["dev-demo"] and not result.ok
    assert result.failed["dev-demo"].startswith(f"not rendered: {cache / 'charts' / 'demo' / '1.0.0'}: ")  # fmt: skip
    assert "the chart refuses broken: true" in result.failed["dev-demo"]
    assert not (tmp_path / "out" / "dev-demo.yaml").exists()


def test_a_data_only_chart_is_checked_not_rendered(cache, tmp_path):
    for template in (cache / "charts" / "demo" / "1.0.0" / "templates").iterdir():
        template.unlink()
    (cache / "charts" / "demo" / "1.0.0" / "templates").rmdir()
    result = render([chart(name="demo")], tmp_path / "out", cache)
    assert result.rendered == {} and result.charts == {"dev-demo": "demo 1.0.0: values checked; templates not in the cache"}  # fmt: skip


def test_a_render_is_reused_only_for_the_same_inputs(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("MLPLAT_CACHE", str(tmp_path / "results"))
    calls = []
    real = helm._template
    monkeypatch.setattr(helm, "_template", lambda release: calls.append(release) or real(release))
    release = helm.Release.of(chart(name="demo"), cache)
    first = helm.render(release)
    assert helm.render(release) == first and len(calls) == 1
    helm.render(helm.Release.of(chart({"replicas": 3}, name="demo"), cache))
    (cache / "charts" / "demo" / "1.0.0" / "templates" / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")  # fmt: skip
    assert ("ConfigMap", "default", "extra") in kinds(helm.render(release))
    assert len(calls) == 3
    assert json.dumps(first)  # what is kept is plain JSON
