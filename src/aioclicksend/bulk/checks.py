"""The checks of a bulk send: the settings shared by every batch, and each batch's messages at once.

A chunk of messages is validated by one pydantic call against the spec's item model read as a
``TypedDict`` (the same fields, types, aliases and config, but plain dicts out: no model object per
message); only when it finds problems are the messages it named set apart, each as ``INVALID`` with its
reason. Then each valid message is given its ``custom_string`` if it has none, and passes the send's own
checks (:func:`~aioclicksend._core.rules.messages_problems`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, with_config
from pydantic_core import to_json
from typing_extensions import NotRequired, TypedDict

from .._core.deprecation import CallSite, deprecated_field, warn_deprecated
from .._core.rules import MessageRules, messages_problems
from .._core.types import NotGiven
from .._core.validation import format_location, unencodable_problem, validation_problems
from .outcomes import Messages

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
        self,
        item_model: type[BaseModel],
        rules: MessageRules,
        *,
        allow_truncation: bool,
        tag: str,
        warn_at: CallSite | None = None,
    ) -> None:
        self._items = _list_of(item_model)
        self._rules = rules
        self._allow_truncation = allow_truncation
        self._tag = tag
        self._gives_custom_string = "custom_string" in item_model.model_fields
        self._aliases = {name: info.alias for name, info in item_model.model_fields.items() if info.alias}
        self._deprecated = {
            name: deprecated_field(item_model, info.alias or name)
            for name, info in item_model.model_fields.items()
            if info.deprecated
        }
        """The deprecated fields of a message, each with its warning, given once a job (then forgotten)."""
        self._warn_at = warn_at
        """Where those warnings point (the line that started the job), else where :meth:`check` is called."""

    def check(self, positions: Sequence[int], messages: list[Any]) -> tuple[Checked, list[Invalid]]:
        """The valid messages with their JSON, and the invalid ones; ``positions`` are the messages'
        input positions."""
        indices, given, fields, invalid = _as_mappings(positions, messages)
        items, problems = self._validate(fields)
        if self._deprecated:
            self._warn_deprecated(items)
        if problems:
            invalid += [Invalid(indices[at], given[at], said) for at, said in problems.items()]
            keep = [at for at in range(len(fields)) if at not in problems]
            indices, given = [indices[at] for at in keep], [given[at] for at in keep]
        rules, allow_truncation = self._rules, self._allow_truncation
        problems_of = messages_problems(items, rules, allow_truncation=allow_truncation)
        if problems_of is not None:
            invalid += [
                Invalid(index, message, problem)
                for index, message, problem in zip(indices, given, problems_of, strict=True)
                if problem is not None
            ]
            kept = [at for at, problem in enumerate(problems_of) if problem is None]
            indices, given, items = (
                [indices[at] for at in kept],
                [given[at] for at in kept],
                [items[at] for at in kept],
            )
        tag_customs = self._gives_custom_string
        if self._gives_custom_string:
            tag = self._tag
            for index, item in zip(indices, items, strict=True):
                if item.get("custom_string") is None:
                    item["custom_string"] = f"{tag}:{index}"
                else:
                    tag_customs = False
        try:
            json = self._json(items)
        except ValueError:  # (pydantic's serialization error): set apart what cannot go out as JSON
            unencodable = {
                at: problem for at, item in enumerate(items) if (problem := _unencodable(item, self._aliases))
            }
            invalid += [Invalid(indices[at], given[at], problem) for at, problem in unencodable.items()]
            kept = [at for at in range(len(items)) if at not in unencodable]
            indices, given, items = (
                [indices[at] for at in kept],
                [given[at] for at in kept],
                [items[at] for at in kept],
            )
            json = self._json(items)
        valid = Messages(indices, given, [item.get("custom_string") for item in items], tag_customs)
        return Checked(valid, json), sorted(invalid, key=lambda item: item.index)

    def _warn_deprecated(self, items: list[dict[str, Any]]) -> None:
        """A ``DeprecationWarning`` for each deprecated field the first time a message gives it (the
        messages still go out with it)."""
        for name in [name for name in self._deprecated if any(item.get(name) is not None for item in items)]:
            warn_deprecated(self._deprecated.pop(name), self._warn_at)

    def _validate(self, fields: list[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The messages the spec's model takes, as plain dicts, and what is wrong with the others (by
        their place in ``fields``)."""
        try:
            return self._items.validate_python(fields), {}
        except ValidationError as error:
            problems = _by_message(error)
        except Exception:  # a mapping of the caller's that fails when read: find which, one at a time
            problems = {}
        kept = [one for at, one in enumerate(fields) if at not in problems]
        try:
            return self._items.validate_python(kept), problems
        except Exception:
            pass
        items = []
        for at, one in enumerate(fields):
            if at in problems:
                continue
            try:
                [item] = self._items.validate_python([one])
                items.append(item)
            except ValidationError as error:
                problems[at] = _by_message(error)[0]
            except Exception as error:
                problems[at] = f"cannot be read: {type(error).__name__}: {str(error)[:200]}"
        return items, problems

    def _json(self, items: list[dict[str, Any]]) -> bytes:
        """The items' JSON, comma-separated (without the list's brackets)."""
        return self._items.dump_json(items, by_alias=True, exclude_none=True)[1:-1] if items else b""


def _as_mappings(
    positions: Sequence[int], messages: list[Any]
) -> tuple[list[int], list[Any], list[Mapping[str, Any]], list[Invalid]]:
    """The messages that are mappings (a model as its fields), with their positions, and the others as
    invalid."""
    if set(map(type, messages)) == {dict}:  # (the common case, dicts only)
        return list(positions), messages, messages, []
    indices: list[int] = []
    given: list[Any] = []
    fields: list[Mapping[str, Any]] = []
    invalid: list[Invalid] = []
    for index, message in zip(positions, messages, strict=True):
        if isinstance(message, BaseModel):
            fields.append(message.model_dump(by_alias=True, exclude_unset=True))
        elif isinstance(message, Mapping):
            fields.append(message)
        else:
            reason = f"a message must be a mapping or a model, not {type(message).__name__}"
            invalid.append(Invalid(index, message, reason))
            continue
        indices.append(index)
        given.append(message)
    return indices, given, fields, invalid


def _by_message(error: ValidationError) -> dict[int, str]:
    """A list validation's problems, by the place of the message they are in."""
    problems: dict[int, list[str]] = {}
    for found in error.errors():
        where, *inside = found["loc"]
        problems.setdefault(int(where), []).append(f"{format_location(tuple(inside))}: {found['msg']}")
    return {at: "; ".join(said) for at, said in problems.items()}


def _unencodable(item: dict[str, Any], aliases: Mapping[str, str]) -> str | None:
    """Why a checked message (by field name; ``aliases`` give the names it is sent as) cannot go out as
    JSON, or None."""
    return unencodable_problem({aliases.get(name, name): value for name, value in item.items()}) or (
        None if _json_ok(item) else "cannot be sent as JSON (a value pydantic cannot serialize)"
    )


def _json_ok(item: dict[str, Any]) -> bool:
    try:
        to_json(item)
    except ValueError:
        return False
    return True


def as_typed_dict(model: type[BaseModel]) -> Any:
    """``model``'s fields as a ``TypedDict`` (validated by pydantic into plain dicts keyed by field name):
    the same types, constraints, aliases and config; a field with a default is simply optional."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        for constraint in [*info.metadata, *([Field(alias=info.alias)] if info.alias else [])]:
            annotation = Annotated[annotation, constraint]
        fields[name] = annotation if info.is_required() else NotRequired[annotation]
    typed_dict = TypedDict(model.__name__, fields)  # type: ignore[misc]
    return with_config({**model.model_config, "defer_build": False})(typed_dict)


@functools.cache
def _list_of(item_model: type[BaseModel]) -> TypeAdapter[list[dict[str, Any]]]:
    """The validator of a list of messages (built once: building it costs more than a batch)."""
    items: Any = list[as_typed_dict(item_model)]  # type: ignore[misc]
    return TypeAdapter(items)


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
