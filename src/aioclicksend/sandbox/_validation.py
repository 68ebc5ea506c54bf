"""Requests checked against the spec before a behaviour sees them; a 400 names the field at fault.

Path and query values are read from text by their kind in the operation table (``integer``, ``number``,
``boolean``, ``string``; an array of one as repeated keys), then checked against the parameter's schema
(bounds, enums). A JSON body is checked against its request schema, which refuses unknown fields
(``additionalProperties: false``) and every null it does not allow. Behaviours get the body as sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jsonschema_rs
from aiohttp import web

from .._core.operation import Operation, Parameter
from ._answers import bad_request
from ._openapi import parameter_validator, request_validator

__all__ = [
    "MAX_JSON_DEPTH",
    "check",
    "checked_json",
    "json_body",
    "json_object",
    "path_values",
    "query_values",
    "read_raw",
]

MAX_JSON_DEPTH = 64
"""Arrays and objects nested deeper are refused before parsing."""
MAX_PROBLEMS = 10
"""The most problems one 400 lists."""


class _TextForm(NamedTuple):
    """How a parameter of one kind is written in a URL."""

    pattern: re.Pattern[str]
    read: Callable[[str], Any]
    words: str


_TEXT_FORMS = {
    "integer": _TextForm(re.compile(r"-?[0-9]+"), int, "an integer"),
    "number": _TextForm(re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"), float, "a number"),
    "boolean": _TextForm(re.compile("true|false"), lambda text: text == "true", "true or false"),
}


def _from_text(text: str, kind: str, name: str) -> Any:
    """A path or query value read as its kind, or a 400 naming the parameter."""
    form = _TEXT_FORMS.get(kind)
    if form is None:
        return text
    try:
        if form.pattern.fullmatch(text):
            return form.read(text)
    except ValueError:  # an integer of more digits than Python reads
        pass
    raise bad_request(f"{name}: must be {form.words}, not {text!r}")


def _location(root: str, steps: Sequence[str | int]) -> str:
    """Where a value is, as the SDK writes it: ``messages[0].to``."""
    where = root
    for step in steps:
        where += f"[{step}]" if isinstance(step, int) else f".{step}" if where else step
    return where


def _problems(error: jsonschema_rs.ValidationError, root: str) -> list[str]:
    where = _location(root, error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return [f"{_location(where, [kind.property])}: Field required"]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        return [f"{_location(where, [name])}: Extra inputs are not permitted" for name in kind.unexpected]
    return [f"{where or 'the request body'}: {error.message}"]


def check(validator: jsonschema_rs.Draft202012Validator, value: Any, root: str) -> None:
    """Refuses a value the schema does not hold: a 400 listing its first problems, each naming where."""
    if validator.is_valid(value):
        return
    problems = (problem for error in validator.iter_errors(value) for problem in _problems(error, root))
    raise bad_request("; ".join(itertools.islice(problems, MAX_PROBLEMS)))


def _parameter_value(operation: Operation[Any], parameter: Parameter, texts: list[str]) -> Any:
    kind = parameter.kind.removesuffix("[]")
    values = [_from_text(text, kind, parameter.name) for text in texts]
    value = values if parameter.kind.endswith("[]") else values[0]
    check(parameter_validator(operation, parameter.name), value, parameter.name)
    return value


def path_values(request: web.Request, operation: Operation[Any]) -> dict[str, Any]:
    return {
        parameter.name: _parameter_value(operation, parameter, [request.match_info[parameter.name]])
        for parameter in operation.parameters
        if parameter.location == "path"
    }


def query_values(request: web.Request, operation: Operation[Any]) -> dict[str, Any]:
    """The query parameters the operation takes (others are ignored), read and checked."""
    query: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.location != "query":
            continue
        texts = request.query.getall(parameter.name, [])
        if texts:
            query[parameter.name] = _parameter_value(operation, parameter, texts)
        elif parameter.required:
            raise bad_request(f"{parameter.name}: Field required")
    return query


async def read_raw(request: web.Request) -> bytes:
    try:
        return (await request.read()).strip()
    except ConnectionResetError:  # the client went away mid-body (e.g. it was cancelled): nothing to do
        raise asyncio.CancelledError from None
    except web.RequestPayloadError:  # e.g. bytes that are not in the Content-Encoding the request names
        raise bad_request("the request body cannot be read as its headers describe it") from None


JSON_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # an unterminated one runs to the end
NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def _nested_deeper_than(limit: int, raw: bytes) -> bool:
    """Whether JSON text nests arrays and objects deeper than ``limit``, read in one pass without parsing."""
    depth = 0
    for bracket in JSON_STRINGS.sub(b"", raw).translate(None, NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate: the only way a body read as UTF-8 can hold one."""


def _lone_surrogate(value: Any, steps: tuple[str | int, ...] = ()) -> str | None:
    """Where a string of ``value`` (a key or a value) holds a lone UTF-16 surrogate, which is half of a
    character and no text (a pair escaped, ``\\ud83d\\ude00``, is read as the one character it is)."""
    if isinstance(value, str):
        return None if value.isascii() or _encodes(value) else _location("", steps) or "the request body"
    pairs = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in pairs:
        if isinstance(key, str) and not _encodes(key):
            return f"a key of {_location('', steps) or 'the request body'}"
        found = _lone_surrogate(inner, (*steps, key))
        if found is not None:
            return found
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body read as a JSON object, or a 400 saying why it is not one."""
    if _nested_deeper_than(MAX_JSON_DEPTH, raw):
        raise bad_request(f"the request body is nested too deeply (over {MAX_JSON_DEPTH} levels)")
    try:
        payload = json.loads(raw, parse_constant=_not_json)
    except ValueError:
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise bad_request("the request body must be a JSON object")
    return payload


def checked_json(raw: bytes, operation: Operation[Any]) -> dict[str, Any]:
    """A JSON request body as it came (for Kazoo, wrapped), all its strings text, checked against the
    operation's request schema; a 400 saying what is wrong."""
    body = json_object(raw)
    where = _lone_surrogate(body) if SURROGATE_ESCAPE.search(raw) else None
    if where is not None:  # (no part count or answer can be made of it)
        raise bad_request(f"{where}: not text (a lone UTF-16 surrogate)")
    check(request_validator(operation), body, "")
    return body


async def json_body(request: web.Request, operation: Operation[Any]) -> dict[str, Any]:
    """The operation's JSON body, checked against its request schema; ``{}`` if it takes none."""
    if operation.body is None:
        return {}
    raw = await read_raw(request)
    if not raw:
        if operation.body_required:
            raise bad_request("a request body is required")
        return {}
    return checked_json(raw, operation)
