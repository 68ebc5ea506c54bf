"""The spec's fields read with their types checked: a hostile or mistaken spec (``x-sdk-bulk: true``,
``recipient: to``) fails with an error naming the field, not a TypeError from deep inside a reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .bundle import SpecError

_T = TypeVar("_T")
KIND_NAMES: dict[type, str] = {str: "a string", dict: "a mapping", list: "a list"}


def typed(node: Mapping[str, Any], key: str, kind: type[_T], where: str) -> _T | None:
    """``node[key]``, ``None`` when it is absent (or null)."""
    value = node.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise SpecError(f"{where}: {key} must be {KIND_NAMES.get(kind, kind.__name__)}, not {value!r:.60}")


def required(node: Mapping[str, Any], key: str, kind: type[_T], where: str) -> _T:
    """``node[key]``, which must be there."""
    value = typed(node, key, kind, where)
    if value is None:
        raise SpecError(f"{where}: {key} is missing")
    return value


def strings(node: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """``node[key]``, a list of strings (empty when absent)."""
    values = typed(node, key, list, where) or []
    if not all(isinstance(value, str) for value in values):
        raise SpecError(f"{where}: {key} must be a list of strings, not {values!r:.60}")
    return tuple(values)
