"""An answer as received, and how it is read: the envelope, the data checked against the spec, or our
error for an error status or an answer that is not the documented JSON."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic_core import ValidationError, from_json

from .binary import BinaryResponse
from .exceptions import APIResponseValidationError, APIStatusError, status_error_class
from .validation import validation_problems

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from .operation import Dialect, Operation

__all__ = ["Answer", "read_answer"]

MAX_REDIRECTS = 3
"""Same-origin redirects followed for an operation that is safe to repeat; others are never followed."""


class Answer(NamedTuple):
    """What one attempt got back, after the redirects it followed."""

    method: str
    url: str
    """Where it came from (the last redirect's target)."""
    status: int
    headers: Mapping[str, str]
    content: bytes | BinaryResponse
    """The body; a document (a binary operation's success) is streamed by the caller."""


def read_answer(
    answer: Answer, operation: Operation[Any], dialect: Dialect, cast_to: Any, raw: bool
) -> object:
    """The answer's data read as ``cast_to`` (``Any``: the JSON as it is), or the whole
    :class:`RawResponse` when ``raw``; an error status or an unreadable answer raises ours."""
    content = answer.content
    if isinstance(content, BinaryResponse):  # a document: the caller streams it
        return content
    if answer.status < 300 and operation.envelope and cast_to is not Any:  # Any: plain parsing is faster
        decoded = _decode_envelope(cast_to, content, dialect.envelope_fields)
        if decoded is not None:
            return _result(answer, content, decoded["data"], decoded, raw)
    try:
        payload: Any = from_json(content, cache_strings="keys") if content.strip() else None
    except ValueError:
        raise _unreadable(answer, content) from None
    envelope = payload if isinstance(payload, dict) else {}
    if answer.status >= 300:
        code, message = _dotted(envelope, dialect.error_code), _dotted(envelope, dialect.error_message)
        raise _status_error(answer, payload, code, message)
    # Answers are read enveloped or bare, whichever comes (the docs show View All MMS Campaigns bare):
    # an answer with an envelope field besides ``data`` is enveloped; one with only ``data`` is for an
    # operation the spec says is enveloped; anything else is the data itself.
    fields = dialect.envelope_fields
    enveloped = bool(envelope) and (
        bool(envelope.keys() & (fields - {"data"})) or (operation.envelope and envelope.keys() <= fields)
    )
    try:
        data = _adapter(cast_to).validate_python(envelope.get("data") if enveloped else payload)
    except ValidationError as error:
        raise APIResponseValidationError(
            f"{operation.name}: answer does not match the spec: " + "; ".join(validation_problems(error)),
            method=answer.method,
            url=answer.url,
            status=answer.status,
            body=content,
        ) from None
    return _result(answer, content, data, envelope, raw)


def _unreadable(answer: Answer, content: bytes) -> Exception:
    """Our error for an answer that is not JSON: an error status's, or a success's that should be."""
    kind = answer.headers.get("Content-Type", "unknown content type")
    if answer.status >= 300:
        snippet = content[:200].decode("utf-8", "replace").strip()
        return _status_error(answer, content, None, f"non-JSON answer ({kind}): {snippet}")
    return APIResponseValidationError(
        f"HTTP {answer.status} answer is not JSON ({kind})",
        method=answer.method,
        url=answer.url,
        status=answer.status,
        body=content,
    )


def _status_error(answer: Answer, body: Any, code: Any, message: Any) -> APIStatusError:
    """Our error for an error status, with the API's code and message (what a redirect is, for a 3xx)."""
    status = answer.status
    if 300 <= status < 400:
        location = answer.headers.get("Location") or "nowhere"
        message = (
            f"redirect to {location[:200]} not followed (ClickSend does not redirect; only "
            f"same-origin redirects of operations safe to repeat are, at most {MAX_REDIRECTS})"
        )
    return status_error_class(status)(
        status=status,
        method=answer.method,
        url=answer.url,
        response_code=code,
        response_msg=message,
        headers=answer.headers,
        body=body,
    )


def _dotted(answer: dict[str, Any], name: str) -> Any:
    """The value at a dotted field name (``data.message``) of an answer, or None where it stops."""
    value: Any = answer
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@functools.lru_cache(maxsize=1024)
def _adapter(cast_to: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(cast_to)


@functools.lru_cache(maxsize=1024)
def _envelope_adapter(cast_to: Any, envelope_fields: frozenset[str]) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter
    from typing_extensions import TypedDict

    fields = {**dict.fromkeys(sorted(envelope_fields), Any), "data": cast_to}
    return TypeAdapter(TypedDict("Envelope", fields, total=False))  # type: ignore[operator]


def _decode_envelope(cast_to: Any, raw: bytes, envelope_fields: frozenset[str]) -> dict[str, Any] | None:
    """The envelope of a success answer, its data validated straight from the JSON bytes (the fast path).

    ``None`` when that does not work out (not JSON, no ``data``, data not as the spec says): the
    general path then parses the answer again and says what is wrong.
    """
    try:
        envelope: dict[str, Any] = _envelope_adapter(cast_to, envelope_fields).validate_json(raw)
    except ValidationError:
        return None
    return envelope if "data" in envelope else None


def _result(answer: Answer, content: bytes, data: Any, envelope: Mapping[str, Any], raw: bool) -> object:
    """The data, or the whole :class:`RawResponse` when the call came through ``with_raw_response``."""
    if not raw:
        return data
    from .response import RawResponse  # only what with_raw_response asks for needs it

    return RawResponse(
        data=data,
        status=answer.status,
        headers=answer.headers,
        method=answer.method,
        url=answer.url,
        envelope={name: value for name, value in envelope.items() if name != "data"},
        content=content,
    )
