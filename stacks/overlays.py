"""Kustomize overlays generated from the environment files, committed, and applied by the stack
program: upstream settings that live in a ConfigMap whose name kustomize hashes, so no Pulumi
resource can set them (Kubeflow's notebook culling), and the depends-on annotations that make
what a Directory's own webhook admits wait for that webhook (`WEBHOOK_WAITS`).

`make generate` writes them; the program refuses to run on a stale one, so an edited
environment file never deploys with yesterday's overlay.
"""

from __future__ import annotations

import os
from pathlib import Path

from components.catalog import KUBEFLOW_VERSION
from components.kubeflow import (
    STAGES,
    WEBHOOK_WAITS,
    notebook_controller_overlay,
    webhook_wait_overlay,
)
from stacks.environment import EnvironmentSpec, known_environments, load_environment

ROOT = Path(__file__).resolve().parent.parent


def overlay_dir(environment: str, component: str) -> str:
    """A Kubeflow component's generated overlay, relative to the project root."""
    return f"manifests/kubeflow/{environment}/{component}"


def from_working_directory(directory: str) -> str:
    """`directory` as the Kubernetes provider resolves it: relative to the working directory it
    shares with the program (the project root or `stacks/`, depending on how Pulumi starts it),
    never absolute, so the state does not change from one checkout path to another."""
    return os.path.relpath(ROOT / directory, Path.cwd())


def render(spec: EnvironmentSpec) -> dict[str, str]:
    """Directory (relative to the project root) -> its kustomization.yaml."""
    paths = {component: path for _, components in STAGES for component, path in components}
    overlays = {
        overlay_dir(spec.name, "notebook-controller"): notebook_controller_overlay(
            spec.kubeflow.notebook_idle_minutes, KUBEFLOW_VERSION, spec.name
        )
    }
    for component in WEBHOOK_WAITS:
        overlays[overlay_dir(spec.name, component)] = webhook_wait_overlay(
            component, paths[component], KUBEFLOW_VERSION
        )
    return overlays


def stale(spec: EnvironmentSpec, root: Path = ROOT) -> str | None:
    """Why the overlays of `spec` on disk cannot be deployed, or None when they are current."""
    outdated = [
        directory
        for directory, text in render(spec).items()
        if not (path := root / directory / "kustomization.yaml").is_file()
        or path.read_text(encoding="utf-8") != text
    ]
    if not outdated:
        return None
    return (
        f"{', '.join(outdated)}: generated from environments/Pulumi.{spec.name}.yaml and "
        "stale or missing; run `make generate`"
    )


def write(spec: EnvironmentSpec, root: Path = ROOT) -> list[Path]:
    written = []
    for directory, text in render(spec).items():
        path = root / directory / "kustomization.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for name in known_environments():
        for path in write(load_environment(name)):
            print(f"wrote {path.relative_to(ROOT)}")
