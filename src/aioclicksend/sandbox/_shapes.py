"""Answers shaped after the docs' examples: the same keys, the same JSON types, the sandbox's own values.

A :class:`Shape` is read once from an operation's documented answer (and its schema): for each key of
the example, how a value becomes the example's JSON type (an int as ``"1436932432"`` where the docs
show a string, a price as ``"0.077000"`` with the example's decimals, or as a number) and what the key
holds when the sandbox has no value for it (None: the request did not give it). That is null where the
schema allows null, else the emptiest value of the example's type (``""``, ``0``, ``[]``…): never the
example's own value. Objects and lists of objects in the example are shapes of their own.

Behaviours keep what they were given and what they made (a message's record, a contact…) as plain
values, and render it through the shape of the operation that answers: a send, a history list and a
receipt of the same message each look like their own example.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .._core.operation import Operation
from ._openapi import allows_null, data_schema, documented, properties, resolved

__all__ = ["Shape", "data_shape", "item_shape"]

Convert = Callable[[Any], Any]

DECIMAL_TEXT = re.compile(r"-?[0-9]+\.([0-9]+)")


def _text(value: Any) -> Any:
    return value if value.__class__ is str else str(value)


def _decimal_text(places: int) -> Convert:
    """A number as text with the example's decimals (``"0.070000"``); text is left as it is."""
    form = f".{places}f"

    def convert(value: Any) -> Any:
        return value if value.__class__ is str else format(value, form)

    return convert


def _number(value: Any) -> Any:
    """A number as a JSON number (a whole Decimal as an int); numeric text read as a number."""
    kind = value.__class__
    if kind is int or kind is float:
        return value
    if kind is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    if kind is bool:
        return int(value)
    if kind is str:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def _boolean(value: Any) -> Any:
    return bool(value) if value.__class__ in (int, bool) else value


def _plain(value: Any) -> Any:
    """A value for a key whose example is null: as it is (a Decimal as text, which JSON has not)."""
    return str(value) if value.__class__ is Decimal else value


Field = tuple[str, type, Convert, Any]
"""A key, the class of the values it takes as they are, how others are converted, and its empty value."""


class Shape:
    """The keys of a documented object, each with how a value is converted and what stands for none.

    :meth:`render` is compiled once per shape into a function that builds the answer object in one
    expression (a shape renders every message of a send: it is the sandbox's inner loop)."""

    __slots__ = ("fields", "render")

    def __init__(self, fields: tuple[Field, ...]) -> None:
        self.fields = fields
        self.render: Callable[[Mapping[str, Any]], dict[str, Any]] = _compiled(fields)
        """The answer object: each key's value converted, or its empty value if there is none (None)."""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field[0] for field in self.fields)


def _compiled(fields: tuple[Field, ...]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """``render`` for these fields: for each key, its empty value if the value is None, the value itself
    if it is of the class the key takes as it is, else the value converted."""
    names: dict[str, Any] = {}
    lines = ["def render(values):", "    get = values.get"]
    entries = []
    for number, (key, kind, convert, empty) in enumerate(fields):
        names.update({f"k{number}": kind, f"c{number}": convert, f"e{number}": empty})
        lines.append(f"    v{number} = get({key!r})")
        entries.append(
            f"{key!r}: e{number} if v{number} is None else"
            f" v{number} if v{number}.__class__ is k{number} else c{number}(v{number})"
        )
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), names)  # the keys are the spec's, written as repr()s
    render: Callable[[Mapping[str, Any]], dict[str, Any]] = names["render"]
    return render


def _empty(example: Any, schema: dict[str, Any], nested: Shape | None) -> Any:
    """What a key holds when there is no value: null if the schema allows it, else the emptiest value of
    the example's type (or the first value of an enum that has neither)."""
    if allows_null(schema):
        return None
    allowed = resolved(schema).get("enum")
    if allowed:  # an enum without null (nor ""): its first value
        return "" if "" in allowed else allowed[0]
    if isinstance(example, bool):
        return False
    if isinstance(example, (int, float)):
        return 0
    if isinstance(example, str):
        match = DECIMAL_TEXT.fullmatch(example)
        return format(0, f".{len(match.group(1))}f") if match else ""
    if isinstance(example, list):
        return []
    if isinstance(example, dict):
        return nested.render({}) if nested is not None else {}
    return None


class _Never:
    """The class of no value: a key whose every value goes through its conversion."""


def _field(key: str, example: Any, schema: dict[str, Any]) -> Field:
    nested: Shape | None = None
    convert: Convert
    kind: type = _Never
    if isinstance(example, bool):
        kind, convert = bool, _boolean
    elif isinstance(example, (int, float)):
        kind, convert = int, _number  # floats are numbers too: _number keeps them
    elif isinstance(example, str):
        match = DECIMAL_TEXT.fullmatch(example)
        convert = _decimal_text(len(match.group(1))) if match else _text
        kind = _Never if match else str  # text is kept as it is by both
    elif isinstance(example, dict):
        nested = compile_shape(example, schema)
        convert = _objects(nested)
    elif isinstance(example, list) and example and isinstance(example[0], dict):
        convert = _lists(compile_shape(example[0], resolved(schema).get("items", {})))
    else:
        convert = _plain
    return key, kind, convert, _empty(example, schema, nested)


def _objects(shape: Shape) -> Convert:
    def convert(value: Any) -> Any:
        return shape.render(value) if isinstance(value, Mapping) else value

    return convert


def _lists(shape: Shape) -> Convert:
    def convert(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [shape.render(item) if isinstance(item, Mapping) else item for item in value]

    return convert


def compile_shape(example: dict[str, Any], schema: dict[str, Any]) -> Shape:
    """The shape of a documented object, with the schema that says which of its keys may be null."""
    described = properties(schema)
    return Shape(tuple(_field(key, value, described.get(key, {})) for key, value in example.items()))


def schema_shape(schema: dict[str, Any]) -> Shape:
    """For an object the docs show no example of: the schema's properties, values as they are."""
    fields: list[Field] = []
    for key, described in properties(schema).items():
        kind = resolved(described).get("type")
        kind = kind if isinstance(kind, str) else next((k for k in kind or [] if k != "null"), None)
        example = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}
        fields.append((key, _Never, _plain, _empty(example.get(kind or ""), described, None)))
    return Shape(tuple(fields))


@functools.cache
def data_shape(operation: Operation[Any]) -> Shape:
    """The shape of the operation's documented answer data (an object)."""
    example = documented(operation).data
    schema = data_schema(operation)
    if isinstance(example, dict) and example:
        return compile_shape(example, schema)
    return schema_shape(schema)


@functools.cache
def item_shape(operation: Operation[Any], field: str | None = None) -> Shape:
    """The shape of one item of the list ``field`` of the operation's answer data (by default the items of
    a paged list); of the data itself when the operation answers one item."""
    field = field or (operation.paging.items if operation.paging is not None else None)
    if field is None:
        return data_shape(operation)
    example = documented(operation).data
    listed = example.get(field) if isinstance(example, dict) else None
    schema = resolved(properties(data_schema(operation)).get(field, {})).get("items", {})
    if isinstance(listed, list) and listed and isinstance(listed[0], dict):
        return compile_shape(listed[0], schema)
    return schema_shape(schema)
