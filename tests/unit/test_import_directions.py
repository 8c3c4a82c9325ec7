"""The import directions of ../shared/DESIGN.md, read from every module's source (imports inside
functions included): `stacks -> components`; `mlplat -> stacks, components, policies`;
`policies` imports nothing of the project, since the pack runs alone under the Pulumi CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("components", "mlplat", "policies", "stacks")
# What each package may import of the project besides itself.
ALLOWED = {
    "components": set(),
    "policies": set(),
    "stacks": {"components"},
    "mlplat": {"stacks", "components", "policies"},
}


def project_imports(source: str) -> set[str]:
    """The project packages a module's source imports, at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found


def crossings(package: str) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {other}"
        for path in (ROOT / package).rglob("*.py")
        for other in project_imports(path.read_text(encoding="utf-8"))
        if other != package and other not in ALLOWED[package]
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_the_design_allows(package):
    assert crossings(package) == []


def test_the_reader_sees_imports_inside_functions_and_ignores_relative_ones():
    source = (
        "import os\nfrom . import sibling\n"
        "def f():\n    from mlplat.cli import app\n    import stacks.program\n"
    )
    assert project_imports(source) == {"mlplat", "stacks"}


def test_a_rule_never_imports_another_rule():
    """What several rules share lives in `policies/facts.py`, so a rule reads on its own."""
    rules = ROOT / "policies" / "rules"
    shared = sorted(
        path.name
        for path in rules.glob("*.py")
        if "policies.rules" in path.read_text(encoding="utf-8")
    )
    assert shared == []
