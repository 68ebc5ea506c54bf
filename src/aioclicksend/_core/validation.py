"""The checks made before anything is sent: a call's body, its path and query values, its options."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from pydantic_core import ValidationError

from .exceptions import RequestValidationError
from .rules import message_problem
from .times import unix_time_of
from .types import NotGiven

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .operation import Operation

__all__ = [
    "build_body",
    "check_parameters",
    "format_location",
    "headers_problems",
    "merge_extra_body",
    "retries_problem",
    "timeout_problem",
    "unencodable_problem",
    "validation_problems",
]


def format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


_MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a request's value is searched to."""


def unencodable_problem(value: Any, location: tuple[int | str, ...] = ()) -> str | None:
    """Why ``value`` cannot go out as UTF-8 JSON (``field: problem``), or None: a text with a lone
    surrogate (as ``json.loads('"\\ud83d"')`` makes), a key that is not a text, nesting too deep."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError as error:
            where = format_location(location)
            return f"{where}: a text with an unpaired surrogate at {error.start} cannot be sent as UTF-8"
        return None
    if len(location) >= _MAX_DEPTH:
        return f"{format_location(location)}: nested more than {_MAX_DEPTH} levels deep"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{format_location(location)}: a key must be a text, not {type(key).__name__}"
            problem = unencodable_problem(key, location) or unencodable_problem(item, (*location, key))
            if problem is not None:
                return problem
    elif isinstance(value, (list, tuple)):
        for at, item in enumerate(value):
            if (problem := unencodable_problem(item, (*location, at))) is not None:
                return problem
    return None


def validation_problems(error: ValidationError) -> list[str]:
    """Readable ``field: problem`` lines from a pydantic error."""
    return [f"{format_location(tuple(item['loc']))}: {item['msg']}" for item in error.errors()]


def build_body(
    operation: Operation[Any], fields: Mapping[str, Any], *, allow_truncation: bool = False
) -> BaseModel:
    """Validate the body keyword arguments of a call against the spec's request model, and a send's
    messages against the checks bulk sends make too (:mod:`aioclicksend._checks`)."""
    assert operation.body is not None, f"{operation.name} takes no body"
    given = {name: value for name, value in fields.items() if not isinstance(value, NotGiven)}
    try:
        body = operation.model(operation.body).model_validate(given)
    except ValidationError as error:
        problems = validation_problems(error)
        if any(item["type"] == "extra_forbidden" for item in error.errors()):
            problems.append("to send a field the spec does not know on purpose, pass it in extra_body={...}")
        raise RequestValidationError(operation.name, problems) from None
    rules = operation.messages
    if rules is not None:
        if not isinstance(allow_truncation, bool):
            problem = f"allow_truncation: must be True or False, not {allow_truncation!r}"
            raise RequestValidationError(operation.name, [problem])
        problems = [
            f"{rules.items}[{index}]: {problem}"
            for index, message in enumerate(getattr(body, rules.items, None) or [])
            if (problem := message_problem(vars(message), rules, allow_truncation=allow_truncation))
            is not None
        ]
        if problems:
            raise RequestValidationError(operation.name, problems)
    return body


_KIND_CHECKS: dict[str, Any] = {
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ),
    "string": lambda value: (
        isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    ),
    "boolean": lambda value: isinstance(value, bool),
}


def _parameter_problem(name: str, kind: str, value: Any) -> str | None:
    """Why ``value`` cannot go out as parameter ``name`` of JSON type ``kind`` (``x[]``: an array)."""
    item_kind = kind.removesuffix("[]")
    values = value if kind.endswith("[]") and isinstance(value, (list, tuple)) else [value]
    check = _KIND_CHECKS.get(item_kind)
    if check is None or all(check(item) for item in values):
        return None
    expected = f"a list of {item_kind}s" if kind.endswith("[]") else f"a {item_kind}"
    return f"{name}: must be {expected}, not {type(value).__name__} {value!r:.80}"


def _unix_time_problem(name: str, value: datetime) -> str | None:
    """Why a datetime cannot be the Unix time ``name``: a naive one, whose zone ClickSend cannot know."""
    try:
        unix_time_of(value)
    except ValueError as error:
        return f"{name}: {error}"
    return None


def check_parameters(
    operation: Operation[Any], path_params: Mapping[str, Any] | None, query: Mapping[str, Any] | None
) -> None:
    """Refuse path and query values that do not have the spec's types, before anything is sent."""
    kinds = {parameter.name: parameter.kind for parameter in operation.parameters}
    unix_times = {parameter.name for parameter in operation.parameters if parameter.unix_time}
    problems = []
    for name, value in (path_params or {}).items():
        text = str(value) if value is not None else ""
        if text in ("", ".", ".."):
            problems.append(f"{name}: must not be {text!r}" if text else f"{name}: must not be empty")
        elif (problem := _parameter_problem(name, kinds.get(name, ""), value)) is not None:
            problems.append(problem)
    for name, value in (query or {}).items():
        if value is None or isinstance(value, NotGiven):
            continue
        if name in unix_times and isinstance(value, datetime):
            problem = _unix_time_problem(name, value)
        else:
            problem = _parameter_problem(name, kinds.get(name, ""), value)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise RequestValidationError(operation.name, problems)


_EXTRA_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d+\])*")
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def merge_extra_body(
    operation: Operation[Any], body: dict[str, Any], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """``body`` with the ``extra_body`` fields set in it. A key is a field name, or a path into the body
    such as ``messages[0].contact_id``: objects on the way are created, list items must exist."""
    for key, value in extra.items():
        if not _EXTRA_PATH.fullmatch(key):
            raise RequestValidationError(
                operation.name, [f"extra_body: {key!r:.80} is not a field name or a path like a.b[0].c"]
            )
        steps: list[str | int] = [name or int(index) for name, index in _PATH_STEP.findall(key)]
        target: Any = body
        for step in steps[:-1]:
            target = _descend(operation, key, target, step)
        _check_step(operation, key, target, steps[-1])
        target[steps[-1]] = value
    return body


def _check_step(operation: Operation[Any], key: str, target: Any, step: str | int) -> None:
    fits = (
        isinstance(target, dict)
        if isinstance(step, str)
        else isinstance(target, list) and 0 <= step < len(target)
    )
    if not fits:
        raise RequestValidationError(
            operation.name, [f"extra_body[{key!r:.80}]: {step!r} does not name a place in the body"]
        )


def _descend(operation: Operation[Any], key: str, target: Any, step: str | int) -> Any:
    _check_step(operation, key, target, step)
    if isinstance(step, str) and step not in target:
        target[step] = {}
    return target[step]


def timeout_problem(timeout: Any) -> str | None:
    """Why ``timeout`` is not a usable timeout: seconds (> 0), an ``aiohttp.ClientTimeout`` or ``None``."""
    if timeout is None or isinstance(timeout, aiohttp.ClientTimeout):
        return None
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return None if math.isfinite(timeout) else f"timeout: must be finite, not {timeout!r}"
    return f"timeout: must be seconds above 0, an aiohttp.ClientTimeout or None, not {timeout!r:.80}"


def retries_problem(max_retries: Any) -> str | None:
    if isinstance(max_retries, int) and not isinstance(max_retries, bool) and max_retries >= 0:
        return None
    return f"max_retries: must be an int of 0 or more, not {max_retries!r:.80}"


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def headers_problems(headers: Any) -> list[str]:
    """What is wrong with ``extra_headers``: a mapping of header names to text without line breaks."""
    if headers is None:
        return []
    if not isinstance(headers, Mapping):
        return [f"extra_headers: must be a mapping of names to values, not {type(headers).__name__}"]
    problems = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            problems.append(f"extra_headers: {name!r:.80} is not a header name")
        elif not isinstance(value, str):
            problems.append(f"extra_headers[{name!r}]: must be a str, not {type(value).__name__}")
        elif any(character in value for character in "\r\n\0"):
            problems.append(f"extra_headers[{name!r}]: must not hold a line break or NUL")
    return problems
