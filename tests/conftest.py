"""Test layers: each test carries the marker of its folder under tests/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import recording

LAYERS = ("unit", "components", "synthesis", "policies", "aws")


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
