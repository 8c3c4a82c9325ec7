"""`mlplat upstream fetch`, offline: GitHub redirected to local repositories (git's insteadOf)
and a chart repository on 127.0.0.1. What a real fetch reaches (github.com, the charts'
repositories, public.ecr.aws's OCI registry, release downloads) only the network shows."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from mlplat import helm
from mlplat.upstream import FetchError, fetch


def repository(root: Path, files: dict[str, str], tag: str) -> Path:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git = ["git", "-C", str(root), "-c", "user.email=t@localhost", "-c", "user.name=t"]
    for command in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "-m", tag], ["tag", tag]):  # fmt: skip
        subprocess.run([*git, *command], check=True)
    return root


def packaged(name: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    repos = tmp_path / "repos"
    repository(repos / "manifests", {
        "apps/a/kustomization.yaml": "resources:\n- cm.yaml\n- https://github.com/acme/other//base?ref=v2\n",
        "apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "apps/a/sync.py": "print('code is not data')\n",
    }, "v1")  # fmt: skip
    repository(repos / "other", {"base/kustomization.yaml": "resources: []\n"}, "v2")
    config = tmp_path / "gitconfig"
    config.write_text("".join(f'[url "file://{repos / r}"]\n\tinsteadOf = https://github.com/acme/{r}\n' for r in ("manifests", "other")))  # fmt: skip
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    served = tmp_path / "served"
    served.mkdir()
    sub = packaged("sub", {"Chart.yaml": "name: sub\nversion: 0.1.0\n", "values.yaml": "x: 1\n"})
    (served / "karpenter-1.2.3.tgz").write_bytes(packaged("karpenter", {
        "Chart.yaml": "name: karpenter\nversion: 1.2.3\nappVersion: 1.2.3\n",
        "values.yaml": "replicas: 2\n",
        "templates/deployment.yaml": "{{ .Values.replicas }}\n",
        "crds/karpenter.sh_nodepools.yaml": "kind: CustomResourceDefinition\n",
        "charts/sub-0.1.0.tgz": sub,
    }))  # fmt: skip
    (served / "index.yaml").write_text(yaml.safe_dump({"entries": {"karpenter": [{"version": "1.2.3", "urls": ["karpenter-1.2.3.tgz"]}]}}))  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))  # fmt: skip
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def state(repo: str, ref: str = "v1") -> list[dict]:
    return [
        {"type": "kubernetes:kustomize/v2:Directory", "inputs": {"directory": f"https://github.com/acme/manifests//apps/a?ref={ref}"}},
        {"type": "kubernetes:helm.sh/v4:Chart", "inputs": {"chart": "karpenter", "version": "1.2.3", "repositoryOpts": {"repo": repo}}},
    ]  # fmt: skip


def test_fetch_fills_the_cache_as_laid_out_charts_whole(upstream, tmp_path):
    cache = tmp_path / "cache"
    fetched = fetch(state(upstream), cache)
    assert sorted(fetched.added) == [
        "charts/karpenter/1.2.3",
        "crds/karpenter/v1.2.3",
        "git/github.com/acme/manifests/v1",
        "git/github.com/acme/other/v2",  # pulled in by the first tree's kustomization
    ]
    tree = cache / "git/github.com/acme/manifests/v1/apps/a"
    assert sorted(p.name for p in tree.iterdir()) == ["cm.yaml", "kustomization.yaml"]  # no code
    chart = cache / "charts/karpenter/1.2.3"
    assert sorted(str(p.relative_to(chart)) for p in chart.rglob("*") if p.is_file()) == [
        "Chart.yaml", "charts/sub/Chart.yaml", "charts/sub/values.yaml",
        "crds/karpenter.sh_nodepools.yaml", "templates/deployment.yaml", "values.yaml",
    ]  # fmt: skip
    assert helm.whole_chart_cached(chart)  # so `mlplat render` renders it
    assert (cache / "crds/karpenter/v1.2.3/karpenter.sh_nodepools.yaml").is_file()
    again = fetch(state(upstream), cache)
    assert again.added == [] and len(again.kept) == 3
    assert not any((cache / ".staging").iterdir())


def test_a_ref_that_does_not_exist_fails_and_writes_nothing(upstream, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(
        FetchError, match=r"https://github\.com/acme/manifests at v9: git clone failed"
    ):
        fetch(state(upstream, "v9"), cache)
    assert not (cache / "git/github.com/acme/manifests").exists()


def test_a_chart_version_the_repository_lacks_is_named(upstream, tmp_path):
    resources = [
        {**state(upstream)[1], "inputs": {**state(upstream)[1]["inputs"], "version": "9.9.9"}}
    ]
    with pytest.raises(FetchError, match=r"index.yaml: no karpenter 9\.9\.9"):
        fetch(resources, tmp_path / "cache")


class Registry(BaseHTTPRequestHandler):
    """An OCI registry as public.ecr.aws answers an anonymous pull: 401 with a Bearer
    challenge, a token from the realm, then the manifest and the chart layer."""

    blobs: ClassVar[dict[str, bytes]] = {}
    token = "anonymous-pull-token"

    def do_GET(self):
        host = f"http://127.0.0.1:{self.server.server_port}"
        if self.path.startswith("/token?"):
            query = parse_qs(urlparse(self.path).query)
            assert query == {"service": ["registry"], "scope": ["repository:charts/karpenter:pull"]}
            return self._send(200, json.dumps({"token": self.token}).encode())
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            challenge = f'Bearer realm="{host}/token",service="registry",scope="repository:charts/karpenter:pull"'
            return self._send(401, b"", {"WWW-Authenticate": challenge})
        if self.path == "/v2/charts/karpenter/manifests/1.2.3":
            layers = [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": digest} for digest in self.blobs]  # fmt: skip
            return self._send(200, json.dumps({"layers": layers}).encode())
        blob = self.blobs.get(self.path.removeprefix("/v2/charts/karpenter/blobs/"))
        return self._send(200, blob) if blob else self._send(404, b"")

    def _send(self, code: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_oci_chart_is_pulled_with_the_token_the_registry_names(tmp_path):
    archive = packaged("karpenter", {
        "Chart.yaml": "name: karpenter\nversion: 1.2.3\nappVersion: 1.2.3\n",
        "values.yaml": "replicas: 2\n",
        "templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: karpenter}\n",
    })  # fmt: skip
    Registry.blobs = {"sha256:" + hashlib.sha256(archive).hexdigest(): archive}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        chart = {"type": "kubernetes:helm.sh/v4:Chart", "inputs": {"chart": f"oci://127.0.0.1:{server.server_port}/charts/karpenter", "version": "1.2.3"}}  # fmt: skip
        fetched = fetch([chart], tmp_path / "cache")
        missing = {**chart, "inputs": {**chart["inputs"], "version": "9.9.9"}}
        with pytest.raises(FetchError, match=r"/v2/charts/karpenter/manifests/9\.9\.9: HTTP 404"):
            fetch([missing], tmp_path / "cache")
    finally:
        server.shutdown()
        server.server_close()
    assert fetched.added == ["charts/karpenter/1.2.3"]
    assert (tmp_path / "cache/charts/karpenter/1.2.3/templates/service.yaml").is_file()


@pytest.fixture
def https(tmp_path, monkeypatch):
    """A file server on https://127.0.0.1 with a certificate the fetch is told to trust."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = tmp_path / "cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    secret = tmp_path / "key.pem"
    secret.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    served = tmp_path / "served"
    (served / "releases/v1").mkdir(parents=True)
    (served / "releases/v1/install.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem, secret)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def linking(tmp_path, monkeypatch, url: str) -> list[dict]:
    """A pinned kustomization whose resources name one https file, as Kubeflow's name releases."""
    repos = tmp_path / "repos"
    repository(repos / "manifests", {"apps/a/kustomization.yaml": f"resources:\n- {url}\n"}, "v1")
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[url "file://{repos / "manifests"}"]\n\tinsteadOf = https://github.com/acme/manifests\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    return [{"type": "kubernetes:kustomize/v2:Directory", "inputs": {"directory": "https://github.com/acme/manifests//apps/a?ref=v1"}}]  # fmt: skip


def test_an_https_file_a_kustomization_names_is_cached_under_its_host_and_path(
    https, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    resources = linking(tmp_path, monkeypatch, f"{https}/releases/v1/install.yaml")
    host = https.removeprefix("https://")
    fetched = fetch(resources, cache)
    assert sorted(fetched.added) == ["git/github.com/acme/manifests/v1", f"http/{host}/releases/v1/install.yaml"]  # fmt: skip
    assert "kind: Namespace" in (cache / f"http/{host}/releases/v1/install.yaml").read_text()
    assert sorted(fetch(resources, cache).kept) == sorted(fetched.added)


def test_an_https_file_outside_the_cache_or_missing_is_refused_and_nothing_written(
    https, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    resources = linking(tmp_path, monkeypatch, f"{https}/releases/../../../escape.yaml")
    with pytest.raises(FetchError, match=r"escape\.yaml: not a file URL the cache can hold"):
        fetch(resources, cache)
    assert not (tmp_path / "escape.yaml").exists() and not (cache / "http").exists()
    (tmp_path / "repos").rename(tmp_path / "old")
    missing = linking(tmp_path, monkeypatch, f"{https}/releases/v2/install.yaml")
    with pytest.raises(FetchError, match=r"releases/v2/install\.yaml: HTTP 404"):
        fetch(missing, tmp_path / "cache2")
    assert not (tmp_path / "cache2/http").exists()
