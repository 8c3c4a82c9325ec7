"""One rule per module; each module exposes `RULE`. `all_rules()` collects them, sorted by name."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policies.framework import ResourceRule, StackRule


@cache
def all_rules() -> tuple[ResourceRule | StackRule, ...]:
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rule = module.RULE
        if rule.name != module_info.name.replace("_", "-"):
            raise RuntimeError(f"{module.__name__}: RULE.name {rule.name!r} must match the module")
        found.append(rule)
    return tuple(sorted(found, key=lambda r: r.name))
