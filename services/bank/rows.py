"""Dataclass rows to and from SQL: columns are the fields, in order, stored as portable text.

Timestamps are ISO-8601 UTC text with microseconds (so text order is time order), dates
ISO dates, booleans 0/1: the same values on SQLite and Postgres.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def column_names(cls: type[DataclassInstance], exclude: Collection[str] = ()) -> list[str]:
    return [f.name for f in fields(cls) if f.name not in exclude]


def columns(cls: type[DataclassInstance], prefix: str = "", exclude: Collection[str] = ()) -> str:
    return ", ".join(prefix + name for name in column_names(cls, exclude))


def insert(table: str, cls: type[DataclassInstance], exclude: Collection[str] = ()) -> str:
    names = column_names(cls, exclude)
    placeholders = ", ".join("%s" for _ in names)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"


def params(row: DataclassInstance, exclude: Collection[str] = ()) -> tuple[Any, ...]:
    return tuple(_encode(getattr(row, name)) for name in column_names(type(row), exclude))


def from_row(cls: type[Row], row: Sequence[Any]) -> Row:
    """Build `cls` from a row holding its leading fields (trailing defaulted ones may be absent)."""
    hints = _hints(cls)
    names = [f.name for f in fields(cls)][: len(row)]
    return cls(
        **{name: _decode(hints[name], value) for name, value in zip(names, row, strict=True)}
    )


def first(cls: type[Row], rows: Sequence[Sequence[Any]]) -> Row | None:
    return from_row(cls, rows[0]) if rows else None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = {hint, *get_args(hint)}
    if datetime in kinds:
        return datetime.fromisoformat(value)
    if date in kinds:
        return date.fromisoformat(value)
    if bool in kinds:
        return bool(value)
    if int in kinds:
        return int(value)
    return value
