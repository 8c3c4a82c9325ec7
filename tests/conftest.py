"""Test layers: each test carries the marker of its folder under tests/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from tests import recording

# Properties assert correctness, never speed (benchmarks/ measure that); a cold first call that
# loads botocore's models must not read as a failure on a slow machine.
settings.register_profile("mlplat", deadline=None)
settings.load_profile("mlplat")

LAYERS = ("unit", "components", "synthesis", "policies", "aws")

# Tools' results by digest (mlplat/digest_cache.py): the suite's own, never a user's, so every
# run starts cold and no test can pass on a result another checkout stored.
os.environ["MLPLAT_CACHE"] = tempfile.mkdtemp(prefix="mlplat-test-cache-")
# `--all` in-process in the tests, so what a test patches holds for every environment; the
# processes themselves are tested through the real command (tests/synthesis/test_cli.py).
os.environ["MLPLAT_JOBS"] = "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries the marker of its layer (its folder under tests/)."""
    for item in items:
        layer = Path(item.path).parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture
def record():
    """Runs a program under the recording mock monitor; returns a tests.recording.Recording."""
    return recording.record
