"""`mlplat upstream fetch`: the upstream cache filled from the internet at the pinned refs, laid
out as `../shared/upstream/README.md` describes, for users with network.

What is pinned comes from the synthesized states, never from a list of our own: every remote
kustomization of a Directory (and of the generated overlays), every repository and https file
those kustomizations pull in turn, and every Helm chart at its version, whole (templates and
subcharts too, so that `mlplat render` renders it; its CRDs also under `crds/`). Git trees keep
data files only, as the shared cache does: no code. A tree already in the cache is kept (the
cache is content for a ref that never moves); each new one is written whole or not at all.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlplat.chart_values import chart_folder, chart_name
from mlplat.kustomize import GIT_TARGET, HTTPS_FILE
from mlplat.render import CHART_CRDS, ROOT

DATA = (".yaml", ".yml", ".json", ".env", ".properties", ".txt", ".conf", ".ini")
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
TIMEOUT = 60


class FetchError(Exception):
    """What could not be fetched, and from where."""


@dataclass
class Fetched:
    added: list[str] = field(default_factory=list)  # cache paths written
    kept: list[str] = field(default_factory=list)  # already in the cache


def pinned_sources(resources: Iterable[Mapping[str, Any]]) -> tuple[set[str], list[dict[str, Any]]]:
    """(remote kustomize targets, charts) a state deploys: Directories' remote targets and the
    remote resources of its local overlays; each Chart's name, version and repository."""
    targets: set[str] = set()
    charts = []
    for resource in resources:
        inputs = resource.get("inputs") or {}
        if resource.get("type") == "kubernetes:kustomize/v2:Directory":
            directory = str(inputs.get("directory") or "")
            if directory.startswith("https://"):
                targets.add(directory)
            elif (ROOT / directory / "kustomization.yaml").is_file():
                text = (ROOT / directory / "kustomization.yaml").read_text(encoding="utf-8")
                targets.update(m.group(0) for m in GIT_TARGET.finditer(text))
        elif resource.get("type") == "kubernetes:helm.sh/v4:Chart":
            repo = (inputs.get("repositoryOpts") or {}).get("repo") or ""
            chart, version = str(inputs.get("chart")), str(inputs.get("version"))
            charts.append({"chart": chart, "version": version, "repo": repo})
    return targets, charts


def fetch(resources: Sequence[Mapping[str, Any]], cache: Path) -> Fetched:
    targets, charts = pinned_sources(resources)
    result = Fetched()
    seen: set[tuple[str, str, str]] = set()
    queue = sorted(targets)
    while queue:
        match = GIT_TARGET.match(queue.pop(0))
        if match is None:
            continue
        owner, repo, _, ref = match.groups()
        if (owner, repo, ref) in seen:
            continue
        seen.add((owner, repo, ref))
        tree = _git_tree(owner, repo, ref, cache, result)
        for kustomization in sorted(tree.rglob("kustomization.yaml")):
            text = kustomization.read_text(encoding="utf-8")
            queue += [m.group(0) for m in GIT_TARGET.finditer(text)]
            for url in HTTPS_FILE.findall(text):
                if not GIT_TARGET.match(url):
                    _http_file(url, cache, result)
    for chart in charts:
        _chart(chart, cache, result)
    return result


def _git_tree(owner: str, repo: str, ref: str, cache: Path, result: Fetched) -> Path:
    tree = cache / "git" / "github.com" / owner / repo / ref
    if tree.is_dir():
        result.kept.append(str(tree.relative_to(cache)))
        return tree
    with _staging(cache) as scratch:
        clone = Path(scratch) / "clone"
        url = f"https://github.com/{owner}/{repo}"
        done = subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", "--branch", ref, url, str(clone)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise FetchError(f"{url} at {ref}: git clone failed: {done.stderr.strip()[-300:]}")
        staged = Path(scratch) / "tree"
        for path in sorted(clone.rglob("*")):
            relative = path.relative_to(clone)
            if path.is_file() and path.suffix in DATA and ".git" not in relative.parts:
                (staged / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, staged / relative)
        _place(staged, tree)
    result.added.append(str(tree.relative_to(cache)))
    return tree


def _http_file(url: str, cache: Path, result: Fetched) -> None:
    parsed = urllib.parse.urlparse(url)
    relative = Path(parsed.netloc, parsed.path.lstrip("/"))
    if ".." in relative.parts or not parsed.netloc:
        raise FetchError(f"{url}: not a file URL the cache can hold (http/<host>/<path>)")
    target = cache / "http" / relative
    if target.is_file():
        result.kept.append(str(target.relative_to(cache)))
        return
    data = _get(url)
    with _staging(cache) as scratch:
        staged = Path(scratch) / target.name
        staged.write_bytes(data)
        _place(staged, target)
    result.added.append(str(target.relative_to(cache)))


def _chart(chart: Mapping[str, str], cache: Path, result: Fetched) -> None:
    name, folder = chart_name(chart["chart"]), chart_folder(cache, chart)
    if folder.is_dir():
        result.kept.append(str(folder.relative_to(cache)))
        return
    if chart["chart"].startswith("oci://"):
        archive = _oci_chart(chart["chart"], chart["version"])
    else:
        archive = _repository_chart(chart["repo"], name, chart["version"])
    with _staging(cache) as scratch:
        staged, crds = Path(scratch) / "chart", Path(scratch) / "crds"
        app_version = _unpack_chart(archive, staged, crds)
        _place(staged, folder)
        result.added.append(str(folder.relative_to(cache)))
        if name in CHART_CRDS and any(crds.iterdir()):
            crd_folder = cache / "crds" / CHART_CRDS[name] / f"v{app_version.removeprefix('v')}"
            if not crd_folder.is_dir():
                _place(crds, crd_folder)
                result.added.append(str(crd_folder.relative_to(cache)))


def _repository_chart(repo: str, name: str, version: str) -> bytes:
    if not repo:
        raise FetchError(f"chart {name} {version}: no repository to fetch it from")
    index = yaml.safe_load(_get(f"{repo.rstrip('/')}/index.yaml")) or {}
    for entry in (index.get("entries") or {}).get(name) or ():
        if str(entry.get("version")) == version and entry.get("urls"):
            return _get(urllib.parse.urljoin(f"{repo.rstrip('/')}/", entry["urls"][0]))
    raise FetchError(f"{repo}/index.yaml: no {name} {version}")


def _oci_chart(reference: str, version: str) -> bytes:
    """A chart from an OCI registry (anonymous pull, the token its 401 names)."""
    host, _, name = reference.removeprefix("oci://").partition("/")
    # Plain http only to a registry on this machine, as Docker and containerd allow.
    scheme = "http" if host.split(":")[0] in ("127.0.0.1", "localhost") else "https"
    url = f"{scheme}://{host}/v2/{name}/manifests/{version}"
    manifest = json.loads(_registry_get(url, "application/vnd.oci.image.manifest.v1+json"))
    layers = [x for x in manifest.get("layers") or () if x.get("mediaType") == HELM_CHART_LAYER]
    layer = layers[0] if layers else None
    if layer is None:
        raise FetchError(f"{reference}:{version}: no Helm chart layer in the manifest")
    return _registry_get(f"{scheme}://{host}/v2/{name}/blobs/{layer['digest']}", "*/*")


def _registry_get(url: str, accept: str) -> bytes:
    try:
        return _response(url, {"Accept": accept})
    except urllib.error.HTTPError as error:
        challenge = error.headers.get("WWW-Authenticate", "") if error.code == 401 else ""
        if not challenge.startswith("Bearer "):
            raise FetchError(f"{url}: HTTP {error.code}") from None
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    asked = {k: v for k, v in fields.items() if k in ("service", "scope")}
    token = json.loads(_get(f"{fields.get('realm', '')}?{urllib.parse.urlencode(asked)}"))
    return _get(url, {"Accept": accept, "Authorization": f"Bearer {token.get('token', '')}"})


def _get(url: str, headers: Mapping[str, str] | None = None) -> bytes:
    try:
        return _response(url, headers)
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url}: HTTP {error.code}") from None


def _response(url: str, headers: Mapping[str, str] | None = None) -> bytes:
    """The body; an HTTP error status raised as is (a registry's 401 names its token)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"{url}: {getattr(error, 'reason', error)}") from None


def _unpack_chart(archive: bytes, chart_dir: Path, crd_dir: Path) -> str:
    """A chart whole, packaged subcharts unpacked under their Chart.yaml's name, and its CRDs
    (`crds/` of the chart and of a `crds` subchart) copied to `crd_dir`; returns the chart's
    appVersion. Regular files only, never outside `chart_dir`."""
    chart_dir.mkdir(parents=True)
    crd_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts[1:]  # below the chart's own folder
            handle = tar.extractfile(member) if member.isfile() and ".." not in parts else None
            if handle is None or not parts:
                continue
            _unpack_member(parts, handle.read(), chart_dir, crd_dir)
    metadata = chart_dir / "Chart.yaml"
    if not metadata.is_file():
        raise FetchError(f"{chart_dir.name}: the chart archive has no Chart.yaml")
    return str((yaml.safe_load(metadata.read_bytes()) or {}).get("appVersion") or "")


def _unpack_member(parts: tuple[str, ...], content: bytes, chart_dir: Path, crd_dir: Path) -> None:
    if len(parts) == 2 and parts[0] == "charts" and parts[1].endswith(".tgz"):
        packaged = chart_dir / "charts" / f".{parts[1]}"
        _unpack_chart(content, packaged, crd_dir)
        name = str((yaml.safe_load((packaged / "Chart.yaml").read_bytes()) or {}).get("name"))
        packaged.rename(chart_dir / "charts" / name)
        return
    target = chart_dir.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    is_yaml = parts[-1].endswith((".yaml", ".yml"))
    if is_yaml and (parts[:1] == ("crds",) or parts[:3] == ("charts", "crds", "crds")):
        (crd_dir / parts[-1]).write_bytes(content)


def _staging(cache: Path) -> tempfile.TemporaryDirectory[str]:
    """Scratch space on the cache's own file system, so that placing a tree is one rename."""
    (cache / ".staging").mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="fetch-", dir=cache / ".staging")


def _place(staged: Path, target: Path) -> None:
    """`staged` renamed to `target`: a tree is in the cache whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.rename(target)
