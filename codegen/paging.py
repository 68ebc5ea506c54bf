"""The reader of ``x-pagination``: the paging style of a list operation (``page``, ``cursor`` or
``start-key``), the parameters it turns pages with, and the item schema of its pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .bundle import SpecError
from .fields import typed
from .ir import Argument, Pages
from .names import schema_name
from .runtime import Paging
from .schemas import Annotator


def read_pages(
    annotator: Annotator,
    operation: dict[str, Any],
    data: dict[str, Any] | None,
    arguments: list[Argument],
    where: str,
) -> Pages | None:
    """How the operation's answers are paged, or ``None`` without ``x-pagination``."""
    style = typed(operation, "x-pagination", str, where)
    if style is None:
        return None
    if style not in STYLES:
        raise SpecError(f"{where}: x-pagination must be {', '.join(STYLES)}, not {style!r}")
    parameters, read = STYLES[style]
    if not set(parameters) <= {argument.wire_name for argument in arguments}:
        raise SpecError(f"{where}: x-pagination {style} needs the {' and '.join(parameters)} parameters")
    return read(annotator, operation, data or {}, where)


def _page_numbers(annotator: Annotator, operation: dict[str, Any], data: dict[str, Any], where: str) -> Pages:
    """``page``: data is a ``<Item>Page`` schema, whose ``data`` is the array of items."""
    if "$ref" not in data:
        raise SpecError(f"{where}: x-pagination needs data to be a $ref to a <Item>Page schema")
    page = annotator.resolve(data)
    for part in page.get("allOf", []):
        items = part.get("properties", {}).get("data", {}).get("items", {})
        if "$ref" in items:
            item = schema_name(items["$ref"])
            return Pages(Paging("page", "data"), item, f"Page[models.{item}]")
    raise SpecError(f"{where}: page schema {data['$ref']} has no data: {{type: array, items: {{$ref}}}}")


def _cursor(annotator: Annotator, operation: dict[str, Any], data: dict[str, Any], where: str) -> Pages:
    """``cursor``: data is an object whose array of items ``x-cursor-items`` names."""
    items = typed(operation, "x-cursor-items", str, where) or ""
    page = annotator.resolve(data) if "$ref" in data else {}
    array = page.get("properties", {}).get(items, {})
    if "$ref" not in array.get("items", {}):
        raise SpecError(f"{where}: x-cursor-items {items!r} is not an array of a named schema in the answer")
    item = schema_name(array["items"]["$ref"])
    return Pages(Paging("cursor", items), item, annotator.annotate(data, argument=False))


def _start_key(annotator: Annotator, operation: dict[str, Any], data: dict[str, Any], where: str) -> Pages:
    """``start-key``: data is the array of items, the envelope holds the keys."""
    items = data.get("items", {})
    if data.get("type") != "array" or "$ref" not in items:
        raise SpecError(f"{where}: x-pagination start-key needs data to be an array of a named schema")
    item = schema_name(items["$ref"])
    return Pages(Paging("start-key", "data"), item, annotator.annotate(data, argument=False))


class _Style(NamedTuple):
    parameters: tuple[str, ...]
    """The query parameters that turn its pages."""
    read: Callable[[Annotator, dict[str, Any], dict[str, Any], str], Pages]


STYLES = {
    "page": _Style(("page", "limit"), _page_numbers),
    "cursor": _Style(("offset",), _cursor),
    "start-key": _Style(("page_size", "start_key"), _start_key),
}
