"""Documented component arguments: each field's one-line doc feeds the README's tables."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

MISSING = dataclasses.MISSING


def arg(doc: str, *, default: Any = MISSING, default_factory: Any = MISSING) -> Any:
    """A dataclass field carrying its documentation."""
    if default_factory is not MISSING:
        return dataclasses.field(default_factory=default_factory, metadata={"doc": doc})
    return dataclasses.field(default=default, metadata={"doc": doc})


T = TypeVar("T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(arg,))
def component_args(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, kw_only=True)` that type checkers read through `arg`: a field
    without `default` is required, so a program that leaves one out fails mypy, not `pulumi up`."""
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


def markdown_table(args_class: type) -> str:
    """The argument table of a component's Args dataclass, as the README shows it."""
    rows = ["| argument | type | default | what it is |", "|---|---|---|---|"]
    for field in dataclasses.fields(args_class):
        if field.default is not MISSING:
            default = f"`{field.default!r}`"
        elif field.default_factory is not MISSING:
            default = f"`{field.default_factory()!r}`"
        else:
            default = "required"
        type_name = str(field.type).replace("|", "\\|")
        rows.append(
            f"| `{field.name}` | `{type_name}` | {default} | {field.metadata.get('doc', '')} |"
        )
    return "\n".join(rows)
