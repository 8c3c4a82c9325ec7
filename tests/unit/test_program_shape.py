"""The stack program reads as the platform's table of contents: short phases, and hand-offs from
the spec to the components' Args by name (a `**model_dump()` would hide a renamed field)."""

from __future__ import annotations

import ast
from pathlib import Path

PROGRAM = Path(__file__).resolve().parents[2] / "stacks" / "program.py"
LONGEST = 80


def test_every_phase_is_short():
    tree = ast.parse(PROGRAM.read_text(encoding="utf-8"))
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > LONGEST
    ]
    assert long == []


def test_no_argument_is_handed_over_by_unpacking():
    tree = ast.parse(PROGRAM.read_text(encoding="utf-8"))
    unpacked = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and any(k.arg is None for k in node.keywords)
    ]
    dumps = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "model_dump"
    ]
    assert (unpacked, dumps) == ([], [])
