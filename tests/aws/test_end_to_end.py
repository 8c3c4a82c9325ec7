"""The CLI end to end against `moto_server` on 127.0.0.1: a new process, real HTTP, real boto3
credential and endpoint resolution; bootstrap twice (the second run changes nothing)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from stacks.environment import load_environment

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint():
    account = load_environment("dev").account_id
    previous = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = account
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    if previous is None:
        os.environ.pop("MOTO_ACCOUNT_ID", None)
    else:
        os.environ["MOTO_ACCOUNT_ID"] = previous


def mlplat(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "MOTO_ACCOUNT_ID"
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "mlplat", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_bootstrap_twice_then_preflight(endpoint):
    first = mlplat(endpoint, "bootstrap", "dev")
    assert first.returncode == 0, first.stderr
    assert "created  bucket mlplat-dev-pulumi-state-111122223333" in first.stdout
    assert "pulumi login 's3://mlplat-dev-pulumi-state-111122223333?region=eu-west-1" in (
        first.stdout
    )
    second = mlplat(endpoint, "bootstrap", "dev")
    assert second.returncode == 0, second.stderr
    assert "changed nothing" in second.stdout
    assert "created" not in second.stdout and "updated" not in second.stdout
    checks = mlplat(endpoint, "preflight", "dev")
    # moto offers no g6 in eu-west-1: the inference pool fails, and so does the run.
    assert checks.returncode == 1, checks.stderr
    assert "pool gpu-dev" in checks.stdout and "PASS" in checks.stdout
    assert "FAIL" in checks.stdout


def test_the_wrong_account_is_refused_with_one_message(endpoint):
    result = mlplat(endpoint, "bootstrap", "prod")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "mlplat: error: the credentials are for account 111122223333; environment 'prod' is "
        "account 777788889999"
    )
    assert "Traceback" not in result.stderr
