"""Where a refactor moved resources to another component, each names the URN it had, so
`pulumi up` on a deployed stack moves it (an alias) instead of deleting and recreating it.
Protected resources (the alarm topic in staging and prod) could not even be replaced."""

from __future__ import annotations

import pytest

from mlplat.synth import synthesize

# The component that holds them now -> the one that held them, and since when.
MOVES = {"mlplat:notifications:Notifications": "mlplat:audit:Audit"}  # 0.17.0


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_moved_resource_names_its_old_urn(environment):
    synthesis = synthesize(environment)
    resources = synthesis.state["deployment"]["resources"]
    moved = [r for r in resources for new in MOVES if f"::{new}$" in r["urn"] and r["custom"]]
    assert len(moved) >= 3  # the topic, its policy, one subscription per address
    for resource in moved:
        new = next(n for n in MOVES if f"::{n}$" in resource["urn"])
        old = resource["urn"].replace(f"::{new}$", f"::{MOVES[new]}$")
        assert synthesis.aliases.get(resource["urn"]) == [old], resource["urn"]
        assert resource.get("protect", False) == (environment != "dev")
