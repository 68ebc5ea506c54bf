"""The checks of a bulk send: the settings shared by every batch, and each batch's messages at once.

A batch's messages are validated by one pydantic call (the spec's item model for a list); only when
it finds problems are the messages it named set apart, each as ``INVALID`` with its reason. Then each
valid message passes the send's own checks (:func:`~aioclicksend._checks.message_problem`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ._base_client import format_location, validation_problems
from ._checks import MessageRules, message_problem
from ._outcomes import Messages
from ._types import NotGiven

__all__ = ["BatchChecker", "Checked", "Invalid", "validate_shared"]


@dataclass(frozen=True, slots=True)
class Invalid:
    """A message refused by the checks: its input position, the message as given, and why."""

    index: int
    message: Any
    reason: str


@dataclass(eq=False, slots=True)
class Checked:
    """The valid messages of a chunk, and their JSON as the request's array items (comma-separated)."""

    messages: Messages
    json: bytes


class BatchChecker:
    """Turns input messages into JSON ready to send (each with its ``custom_string``), or ``Invalid``.

    Messages are serialized as soon as they are checked: a batch then holds its messages as given and
    their JSON, not a model per message (fewer live objects for the garbage collector to walk).
    """

    def __init__(
        self, item_model: type[BaseModel], rules: MessageRules, *, allow_truncation: bool, tag: str
    ) -> None:
        self._items = _list_of(item_model)
        self._rules = rules
        self._allow_truncation = allow_truncation
        self._tag = tag
        self._gives_custom_string = "custom_string" in item_model.model_fields

    def check(self, messages: list[tuple[int, Any]]) -> tuple[Checked, list[Invalid]]:
        """The valid messages with their JSON, and the invalid ones (by input position)."""
        invalid: list[Invalid] = []
        positions: list[tuple[int, Any]] = []
        fields: list[Any] = []
        for index, message in messages:
            given = message
            if type(message) is not dict:  # (the common case skips the slower checks)
                if isinstance(message, BaseModel):
                    given = message.model_dump(by_alias=True, exclude_unset=True)
                elif not isinstance(message, Mapping):
                    reason = f"a message must be a mapping or a model, not {type(message).__name__}"
                    invalid.append(Invalid(index, message, reason))
                    continue
            if self._gives_custom_string and given.get("custom_string") is None:
                given = {**given, "custom_string": f"{self._tag}:{index}"}
            positions.append((index, message))
            fields.append(given)
        try:
            models = self._items.validate_python(fields)
        except ValidationError as error:
            problems: dict[int, list[str]] = {}
            for item in error.errors():
                where, *inside = item["loc"]
                problems.setdefault(int(where), []).append(f"{format_location(tuple(inside))}: {item['msg']}")
            invalid += [Invalid(*positions[at], "; ".join(found)) for at, found in problems.items()]
            keep = [at for at in range(len(fields)) if at not in problems]
            positions = [positions[at] for at in keep]
            models = self._items.validate_python([fields[at] for at in keep])
        problems_of = [
            message_problem(model, self._rules, allow_truncation=self._allow_truncation) for model in models
        ]
        invalid += [
            Invalid(*position, problem)
            for position, problem in zip(positions, problems_of, strict=True)
            if problem
        ]
        sendable = [model for model, problem in zip(models, problems_of, strict=True) if problem is None]
        kept = [position for position, problem in zip(positions, problems_of, strict=True) if problem is None]
        valid = Messages(
            [index for index, _ in kept],
            [message for _, message in kept],
            [getattr(model, "custom_string", None) for model in sendable],
        )
        json = (
            self._items.dump_json(sendable, by_alias=True, exclude_unset=True, exclude_none=True)[1:-1]
            if sendable
            else b""
        )
        return Checked(valid, json), sorted(invalid, key=lambda item: item.index)


@functools.cache
def _list_of(item_model: type[BaseModel]) -> TypeAdapter[list[BaseModel]]:
    """The validator of a list of messages (built once: building it costs more than a batch)."""
    return TypeAdapter(list[item_model])  # type: ignore[valid-type]


def validate_shared(
    request_model: type[BaseModel], items_field: str, shared: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The fields every batch shares (e.g. ``media_file``), validated, by model field name; and the
    problems found."""
    fields = request_model.model_fields
    by_wire = {info.alias or name: name for name, info in fields.items()}
    values: dict[str, Any] = {}
    problems = []
    for wire_name, value in shared.items():
        if isinstance(value, NotGiven):
            continue
        name = by_wire[wire_name]
        try:
            values[name] = TypeAdapter(fields[name].annotation or Any).validate_python(value)
        except ValidationError as error:
            problems += [
                f"{wire_name}{problem.removeprefix('(body)')}" for problem in validation_problems(error)
            ]
    missing = [
        wire_name
        for wire_name, name in by_wire.items()
        if fields[name].is_required() and name not in values and wire_name != items_field
    ]
    problems += [f"{wire_name}: Field required" for wire_name in missing]
    return values, problems
