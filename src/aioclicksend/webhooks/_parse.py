"""Reading a push in whichever format its rule's ``webhook_type`` chose: ``post`` (a form body), ``json`` (a
JSON body) or ``get`` (the query string)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from pydantic import ValidationError

from ._errors import WebhookError
from ._table import webhook

if TYPE_CHECKING:
    from aiohttp import web
    from starlette.requests import Request as StarletteRequest

    from aioclicksend._core.models import ClickSendModel
    from aioclicksend._generated.webhooks import Kind

__all__ = ["MAX_BODY", "MAX_FIELDS", "MAX_MULTIPART", "from_aiohttp", "from_starlette", "parse"]

MAX_BODY = 1024 * 1024
"""The largest push body read (1 MiB); a push is a few hundred bytes, an inbound SMS at most a few KiB."""
MAX_FIELDS = 1000
"""The most fields a push may have; ClickSend sends about a dozen."""
MAX_MULTIPART = 16 * 1024
"""The largest ``multipart/form-data`` body read (16 KiB): ClickSend sends forms and JSON, and the email
package that reads multipart spends about a second on 100 KiB of a hostile header."""

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def parse(
    kind: Kind,
    *,
    body: bytes | str = b"",
    content_type: str | None = None,
    query: Mapping[str, str | Sequence[str]] | str | bytes | None = None,
) -> ClickSendModel:
    """The push that arrived, as the model of its ``kind`` (e.g. :class:`aioclicksend.models.InboundSmsPush`
    for ``"sms_inbound"``).

    A push's variables are in the body when there is one (``webhook_type`` post: a form,
    ``application/x-www-form-urlencoded``, or ``multipart/form-data``; json: ``application/json``; with no
    content type the body is read as JSON if it starts with ``{``, else as a form), and otherwise in the
    query string (``webhook_type`` get), given as the raw string (``"a=1&b=2"``) or a mapping of names to a
    value or a list of them. A query beside a body is not read: it is your own URL's. Every value of a form
    or query is text (``subaccount_id=`` for none): the models read numbers from their digits and ``""`` as
    ``None``. Unknown fields are kept (``push.model_extra``).

    Raises :class:`~aioclicksend.WebhookError` (naming the field) for anything that cannot be read: an
    empty push among them, and one with none of the fields that identify its kind (its
    :attr:`~aioclicksend.webhooks.Webhook.dedup_key`, e.g. a JSON body read as the form its Content-Type
    claimed); ``ValueError`` for a ``kind`` the spec does not describe.
    """
    entry = webhook(kind)
    if body:
        fields = _body_fields(entry.kind, body, content_type)
    elif query is None or isinstance(query, (str, bytes)):
        fields = _form_fields(entry.kind, query or "")
    else:
        fields = _mapping_fields(entry.kind, query)
    if not fields:  # a probe of the URL, not a push: ClickSend always sends its variables
        raise WebhookError(entry.kind, ["the push is empty (no body, no query string)"])
    model: type[ClickSendModel] = entry.model()
    try:
        push = model.model_validate(fields)
    except ValidationError as error:
        raise _invalid(entry.kind, error) from None
    if not any(entry.identity(push)):  # e.g. JSON read as a form: one field named by the whole body
        names = ", ".join(entry.dedup_key)
        raise WebhookError(entry.kind, [f"the push has none of the fields that identify it ({names})"])
    return push


async def from_aiohttp(request: web.BaseRequest, kind: Kind) -> ClickSendModel:
    """The push an aiohttp.web request carries (its body, or for a GET its query string); see :func:`parse`.
    Raises :class:`~aioclicksend.WebhookError` for a push that cannot be read, a body over :data:`MAX_BODY`
    among them."""
    entry = webhook(kind)
    return parse(
        kind,
        body=await aiohttp_body(request, entry.kind),
        content_type=request.headers.get("Content-Type"),
        query=request.rel_url.raw_query_string,
    )


async def from_starlette(request: StarletteRequest, kind: Kind) -> ClickSendModel:
    """The push a Starlette (or FastAPI) request carries; see :func:`parse` and :func:`from_aiohttp`.
    Starlette is not a dependency of aioclicksend: the request is read through its own methods."""
    entry = webhook(kind)
    return parse(
        kind,
        body=await starlette_body(request, entry.kind),
        content_type=request.headers.get("content-type"),
        query=request.url.query,
    )


async def aiohttp_body(request: web.BaseRequest, kind: str) -> bytes:
    """The body of an aiohttp request, up to :data:`MAX_BODY` bytes (a larger one is a WebhookError)."""
    from aiohttp import web

    if request.content_length is not None and request.content_length > MAX_BODY:
        raise _too_large(kind)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:  # over the application's own client_max_size
        raise _too_large(kind) from None
    except web.RequestPayloadError as error:  # e.g. a Content-Encoding its bytes are not in
        raise WebhookError(kind, [f"the body cannot be read: {error}"]) from None
    if len(body) > MAX_BODY:
        raise _too_large(kind)
    return body


async def starlette_body(request: StarletteRequest, kind: str) -> bytes:
    """The body of a Starlette request, up to :data:`MAX_BODY` bytes (a larger one is a WebhookError)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise _too_large(kind)
    from starlette.requests import ClientDisconnect

    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise _too_large(kind)
            chunks.append(chunk)
    except ClientDisconnect:
        raise WebhookError(kind, ["the sender went away before the whole body came"]) from None
    return b"".join(chunks)


def _too_large(kind: str) -> WebhookError:
    return WebhookError(kind, [f"the body is larger than {MAX_BODY} bytes"])


def _media_type(kind: str, content_type: str | None) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and parameters of a Content-Type header; ``("", {})`` for none."""
    if not content_type or not content_type.strip():
        return "", {}
    media_type, *parts = content_type.split(";")
    media_type = media_type.strip().lower()
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+", media_type):
        raise WebhookError(kind, ["the Content-Type is not a media type"])
    parameters = {}
    for part in parts:
        name, _, value = part.partition("=")
        if _TOKEN.fullmatch(name.strip()):
            parameters[name.strip().lower()] = value.strip().strip('"')
    return media_type, parameters


def _body_fields(kind: str, body: bytes | str, content_type: str | None) -> dict[str, Any]:
    media_type, parameters = _media_type(kind, content_type)
    charset = parameters.get("charset")
    if isinstance(body, str):  # text already: whatever charset its bytes had, they are decoded
        body, charset = body.encode("utf-8", "surrogatepass"), None
    if not media_type or media_type == "text/plain":
        media_type = "application/json" if body.lstrip()[:1] == b"{" else FORM
    if media_type == "application/json" or media_type.endswith("+json"):
        return _json_fields(kind, body, charset)
    if media_type == FORM:
        return _form_fields(kind, body, charset)
    if media_type == MULTIPART:
        return _multipart_fields(kind, body, content_type or "")
    raise WebhookError(kind, [f"a push body is a form ({FORM}) or JSON (application/json), not {media_type}"])


def _json_fields(kind: str, body: bytes, charset: str | None) -> dict[str, Any]:
    try:
        # Without a charset, json reads the bytes as UTF-8, -16 or -32 (a BOM too), as RFC 8259 allows.
        # Each object's names are checked as a form's are: a name given twice is not read as its last value.
        value = json.loads(
            body.decode(charset) if charset else body, object_pairs_hook=lambda pairs: _once_each(kind, pairs)
        )
    except WebhookError:
        raise
    except json.JSONDecodeError as error:
        raise WebhookError(kind, [f"the body is not JSON ({error.msg}, line {error.lineno})"]) from None
    except (ValueError, LookupError, RecursionError):  # not text in its charset, an unknown charset, too deep
        raise WebhookError(kind, ["the body is not JSON"]) from None
    if not isinstance(value, dict):
        raise WebhookError(kind, ["the JSON body is not an object"])
    return value


def _decode(kind: str, raw: bytes, charset: str, field: str | None) -> str:
    try:
        return raw.decode(charset)
    except (ValueError, LookupError):  # not text in that charset, or no such charset (or not a name)
        what = f"the value of {field!r}" if field is not None else "a field name"
        raise WebhookError(kind, [f"{what} is not {charset} text"], field=field) from None


def _form_fields(kind: str, data: bytes | str, charset: str | None = None) -> dict[str, Any]:
    """A form body or a query string (``a=1&b=+x%21``): percent-decoded, each name given once."""
    charset = charset or "utf-8"
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")

    def pairs() -> Iterator[tuple[str, str]]:  # decoded as they are counted: no more than the limit
        for chunk in raw.split(b"&"):
            if chunk:
                raw_name, _, raw_value = chunk.partition(b"=")
                name = _decode(kind, _unquote(raw_name), charset, None)
                yield name, _decode(kind, _unquote(raw_value), charset, name)

    return _once_each(kind, pairs())


def _unquote(raw: bytes) -> bytes:
    """A form's percent-encoding undone: ``+`` is a space, ``%xx`` a byte (a ``%`` that is not is kept)."""
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _multipart_fields(kind: str, body: bytes, content_type: str) -> dict[str, Any]:
    if len(body) > MAX_MULTIPART:
        raise WebhookError(kind, [f"the multipart body is larger than {MAX_MULTIPART} bytes"])
    header = " ".join(content_type.splitlines()).encode("latin-1", "replace")
    pairs = []
    try:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + header + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
        )
        parts = list(message.iter_parts()) if message.is_multipart() else []
        for part in parts:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            pairs.append(
                (
                    name if isinstance(name, str) else None,
                    payload if isinstance(payload, bytes) else b"",
                    part.get_content_charset() or "utf-8",
                )
            )
    except Exception:  # the email package's own errors on a broken message
        parts = []
    if not parts:
        raise WebhookError(kind, ["the body is not multipart/form-data"])

    def fields() -> Iterator[tuple[str, str]]:
        for name, raw, charset in pairs:
            if name is None:
                raise WebhookError(kind, ["a part of the multipart body has no name"])
            yield name, _decode(kind, raw, charset, name)

    return _once_each(kind, fields())


def _mapping_fields(kind: str, query: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
    return _once_each(
        kind,
        (
            (str(name), item)
            for name, value in query.items()
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ),
    )


def _once_each(kind: str, pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The fields by name, at most :data:`MAX_FIELDS` (whatever the format); a name given twice with two
    values (JSON's ``1`` and ``true`` are two) is ambiguous, so malformed."""
    fields: dict[str, Any] = {}
    for count, (name, value) in enumerate(pairs, 1):
        if count > MAX_FIELDS:
            raise WebhookError(kind, [f"the push has more than {MAX_FIELDS} fields"])
        if name in fields and (type(fields[name]) is not type(value) or fields[name] != value):
            raise WebhookError(kind, [f"{name}: given more than once, with different values"], field=name)
        fields[name] = value
    return fields


def _invalid(kind: str, error: ValidationError) -> WebhookError:
    """The model's complaints, each naming its field as ClickSend sends it (never repeating the value)."""
    problems = []
    fields = []
    for detail in error.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in detail["loc"]) or "(push)"
        fields.append(field)
        problems.append(f"{field}: {detail['msg']}")
    return WebhookError(kind, problems, field=fields[0] if fields else None)
