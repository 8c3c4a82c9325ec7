"""moto, in process: every test gets a fresh fake AWS in the account of the environment it uses."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from stacks.environment import load_environment


@pytest.fixture
def aws(monkeypatch):
    """(session, spec) for dev, credentials in dev's account."""
    spec = load_environment("dev")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", spec.account_id)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=spec.region), spec
