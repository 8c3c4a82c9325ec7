"""Generated kustomize overlays: committed current, and refused when stale."""

from __future__ import annotations

from stacks.environment import known_environments, load_environment
from stacks.overlays import (
    ROOT,
    from_working_directory,
    overlay_dir,
    render,
    stale,
    write,
)


def test_the_committed_overlays_are_current():
    for name in known_environments():
        assert stale(load_environment(name)) is None, "run `make generate`"


def test_missing_or_edited_overlays_are_named(tmp_path):
    spec = load_environment("dev")
    assert stale(spec, tmp_path) == (
        "manifests/kubeflow/dev/notebook-controller, manifests/kubeflow/dev/cert-manager, "
        "manifests/kubeflow/dev/knative-serving, manifests/kubeflow/dev/kserve, "
        "manifests/kubeflow/dev/trainer: generated from environments/Pulumi.dev.yaml "
        "and stale or missing; run `make generate`"
    )
    paths = write(spec, tmp_path)
    assert stale(spec, tmp_path) is None
    notebook = next(p for p in paths if p.parent.name == "notebook-controller")
    notebook.write_text(notebook.read_text().replace("CULL_IDLE_TIME=30", "CULL_IDLE_TIME=9999"))
    assert stale(spec, tmp_path) == (
        "manifests/kubeflow/dev/notebook-controller: generated from environments/Pulumi.dev.yaml "
        "and stale or missing; run `make generate`"
    )


def test_each_environment_culls_at_its_own_idle_time():
    for name in known_environments():
        spec = load_environment(name)
        text = render(spec)[overlay_dir(name, "notebook-controller")]
        assert f"CULL_IDLE_TIME={spec.kubeflow.notebook_idle_minutes}\n" in text
        assert overlay_dir(name, "notebook-controller") == f"manifests/kubeflow/{name}/notebook-controller"  # fmt: skip


def test_the_overlay_path_is_relative_to_the_working_directory(monkeypatch):
    directory = overlay_dir("dev", "kserve")
    monkeypatch.chdir(ROOT)
    assert from_working_directory(directory) == directory
    monkeypatch.chdir(ROOT / "stacks")
    assert from_working_directory(directory) == f"../{directory}"
