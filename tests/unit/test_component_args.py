"""Every component dataclass whose fields are `arg(...)` is declared with `@component_args`, so
mypy reads `arg` as a field specifier: a program that leaves a required argument out fails type
checking, not `pulumi up` (under a plain `@dataclass`, `arg(...)` looks like a default)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import components

COMPONENTS = Path(components.__file__).parent


def _decorators(node: ast.ClassDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.id if isinstance(target, ast.Name) else ast.unparse(target))
    return names


def _uses_arg(node: ast.ClassDef) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "arg"
        for n in ast.walk(node)
    )


def test_every_class_of_documented_arguments_is_declared_with_component_args():
    plain = sorted(
        f"{path.name}:{node.name}"
        for path in COMPONENTS.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and _uses_arg(node)
        and "component_args" not in _decorators(node)
    )
    assert plain == []


def test_component_args_are_frozen_and_keyword_only():
    checked = 0
    for info in pkgutil.iter_modules([str(COMPONENTS)]):
        module = importlib.import_module(f"components.{info.name}")
        for value in vars(module).values():
            if not (isinstance(value, type) and value.__name__.endswith("Args")):
                continue
            if value.__module__ != module.__name__:
                continue
            assert dataclasses.is_dataclass(value), value.__name__
            assert value.__dataclass_params__.frozen, value.__name__
            assert all(f.kw_only for f in dataclasses.fields(value)), value.__name__
            checked += 1
    assert checked >= 20


def test_defaults_are_the_controls_secure_values():
    """A caller who leaves these out gets what CONTROLS.md asks for, never less."""
    from dataclasses import fields

    from components.audit import AuditArgs
    from components.container_logs import ContainerLogsArgs
    from components.eks import EksClusterArgs
    from components.network import NetworkArgs
    from components.tracking_database import TrackingDatabaseArgs

    expected = {
        (AuditArgs, "log_retention_days"): 365,  # CW-01
        (ContainerLogsArgs, "retention_days"): 365,
        (EksClusterArgs, "log_retention_days"): 365,
        (NetworkArgs, "flow_logs_retention_days"): 365,
        (TrackingDatabaseArgs, "log_retention_days"): 365,
        (TrackingDatabaseArgs, "backup_retention_days"): 7,  # RDS-04
        (TrackingDatabaseArgs, "multi_az"): True,
        (TrackingDatabaseArgs, "protect"): True,
        (EksClusterArgs, "protect"): True,
        (EksClusterArgs, "cluster_role_arn"): None,  # created, bounded, in scope
        (ContainerLogsArgs, "log_group_arn"): None,  # created, encrypted, retained
    }
    defaults = {
        (cls, f.name): f.default
        for cls, _ in expected
        for f in fields(cls)
        if (cls, f.name) in expected
    }
    assert defaults == expected
