"""The README's component argument tables are generated from the code and must not drift."""

from __future__ import annotations

from components.network import NetworkArgs
from mlplat.readme import (
    POLICY_CATALOG,
    README,
    component_sections,
    policy_catalog,
    rendered,
    team_fields,
)


def test_readme_tables_match_the_code():
    current = README.read_text()
    assert rendered(current, synthesized=False) == current, "run `python -m mlplat.readme`"


def test_the_packs_catalog_facts_are_generated_from_the_catalog():
    from components.catalog import EKS_STANDARD_SUPPORT, KUBERNETES_VERSION
    from policies.catalog import EKS_STANDARD_SUPPORT as IN_THE_PACK

    assert POLICY_CATALOG.read_text() == policy_catalog(), "run `python -m mlplat.readme`"
    assert list(EKS_STANDARD_SUPPORT) == IN_THE_PACK
    assert KUBERNETES_VERSION in IN_THE_PACK  # the pinned cluster passes the rule


def test_every_argument_is_documented():
    sections = component_sections()
    assert "#### `Network` (`components/network.py`)" in sections
    assert "#### `Kms` (`components/kms.py`)" in sections
    for name in NetworkArgs.__dataclass_fields__:
        assert f"| `{name}` |" in sections
    assert "|  |" not in sections  # no argument without its one-line doc


def test_every_team_field_is_documented_with_its_bounds():
    """A team's entry, nested GPU fields included, from the loader's own model."""
    from stacks.environment.models import TeamGpuSpec, TeamSpec

    table = team_fields()
    for name in TeamSpec.model_fields:
        assert f"| `teams[].{name}` |" in table
    for name in TeamGpuSpec.model_fields:
        assert f"| `teams[].gpus.<pool>.{name}` |" in table
    assert "| `teams[].fair_share_weight` | `int` ≥ 1, ≤ 100 | `1` |" in table
    assert "| None |" not in table  # no field without its description
    assert table in README.read_text()


def test_every_rule_is_listed_with_its_control():
    from policies.rules import all_rules

    readme = README.read_text()
    for rule in all_rules():
        assert f"| {rule.control} | `{rule.name}` |" in readme
