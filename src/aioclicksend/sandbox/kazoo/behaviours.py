"""The Kazoo v2 Faxes API on the same sandbox: a route per operation of Kazoo's operation table under
``/v2/accounts/{account_id}``, and Kazoo's API-key authentication at ``PUT /v2/api_auth``.

As on the ClickSend side, every fact about an operation (method, path, parameters, paging, a binary
answer, a multipart body) comes from the table, ``aioclicksend.kazoo._generated.operations``, and the
field a request body is wrapped in from Kazoo's bundled spec (``x-sdk-request-envelope``). Path and
query values are read and checked by :mod:`._validation`, JSON bodies against the request body's JSON
Schema in that spec (:func:`._openapi.request_validator`: ``{"data": {...}}``, and ``"action":
"resubmit"`` beside it). A send may also be ``multipart/mixed``: a JSON part ``{"data": {...}}`` and the
document.

Every request but the authentication needs an ``X-Auth-Token`` that ``PUT /v2/api_auth`` issued and that
has not expired. Answers come in Kazoo's envelope (``data``, ``status``, ``request_id``, ``revision``,
``auth_token``, and ``page_size``, ``start_key``, ``next_start_key`` on lists), errors as
``{"status": "error", "error": <code>, "message": …, "data": {"message": …}}``. What each operation does
is registered by operationId (``FOLDERS`` and ``SINGLE``) in :mod:`._framework`'s registry, as ClickSend's
is; an operation without a behaviour answers the docs' example. The state is
:class:`._kazoo_state.KazooState`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from ..._core.operation import Operation
from ...kazoo._generated.operations import OPERATIONS
from .. import _framework
from .._answers import Refusal, bad_request
from .._faults import Counters
from .._framework import Answer, answer_as_documented, registry, route
from .._openapi import package_of, spec
from .._validation import checked_json, json_body, json_object, path_values, query_values, read_raw
from .state import GREGORIAN_OFFSET, Fax, KazooState, page_key, read_page_key

__all__ = ["PREFIX", "ROUTED", "error_response", "routes", "serves"]

PREFIX = "/v2"
ACCOUNT_PATH = PREFIX + "/accounts/{account_id}"
ROUTE_PREFIX = "kazoo."
"""Kazoo's routes (and request counters) are named ``kazoo.<operationId>``: ClickSend has a SendFax too."""
BY_ID: dict[str, Operation[Any]] = {operation.id: operation for operation in OPERATIONS}
ROUTED: dict[str, Operation[Any]] = {ROUTE_PREFIX + operation.id: operation for operation in OPERATIONS}
"""Kazoo's operations by route name."""
REQUEST_ENVELOPE: str = spec(package_of(OPERATIONS[0]))["x-sdk-request-envelope"]
"""The field a request's JSON body is wrapped in (``data``), as Kazoo's spec declares it."""
DEFAULT_PAGE_SIZE = 50  # Kazoo docs (basics.md), as the spec's page_size says
MAX_DOCUMENT_SIZE = 32 * 1024 * 1024
"""The largest document a multipart send may carry; larger ones are refused with a 413."""
MAX_JSON_SIZE = 1024 * 1024
"""The largest JSON part of a multipart send (as aiohttp's limit of a whole JSON body)."""
FAX_TYPES = ("application/pdf", "image/tiff")
"""What an attachment is answered as; any other document as application/octet-stream (the spec's three)."""
EXTENSIONS = {"application/pdf": "pdf", "image/tiff": "tiff"}
MAGIC = ((b"%PDF", "application/pdf"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))
NO_DOCUMENT = "data.document.url: add document url or upload a document"  # Kazoo source's words
CODES = {
    "BAD_REQUEST": "invalid_data",
    "UNAUTHORIZED": "invalid_credentials",
    "METHOD_NOT_ALLOWED": "invalid_method",
}
"""Kazoo's words for the shared refusals' codes (ClickSend's words); others are those lower-cased."""


def serves(path: str) -> bool:
    """Whether a request's path is Kazoo's (its errors are then answered in Kazoo's shape)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def _request_id() -> str:
    return uuid.uuid4().hex


def error_response(refusal: Refusal) -> web.Response:
    """A refusal in Kazoo's error envelope, as the Kazoo docs show it: the status repeated as text in
    ``error``, the code in ``message``, the text in ``data.message``; a 5xx is ``fatal``."""
    return web.json_response(
        {
            "status": "fatal" if refusal.status >= 500 else "error",
            "error": str(refusal.status),
            "message": CODES.get(refusal.code, refusal.code.lower()),
            "data": {"message": refusal.message},
            "request_id": _request_id(),
        },
        status=refusal.status,
    )


def success(token: str, data: Any, status: int = 200, **paging: Any) -> web.Response:
    """Kazoo's envelope around ``data``; its revision is a digest of what is answered (an ETag)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "auth_token": token,
        "data": data,
        "request_id": _request_id(),
        "revision": hashlib.md5(text, usedforsecurity=False).hexdigest(),
        "status": "success",
        **paging,
    }
    return web.json_response(envelope, status=status)


def _unknown(what: str, identifier: str) -> Refusal:
    return Refusal(404, "bad_identifier", f"{what} {identifier} not found")


@dataclass(frozen=True)
class Document:
    """A document sent in a multipart send."""

    content: bytes
    content_type: str


@dataclass(kw_only=True)
class Call(_framework.Call):
    """One authenticated, checked Kazoo request: its token, the document of a multipart send (whose JSON
    part is the ``body``) and the sandbox's Kazoo state."""

    token: str
    document: Document | None
    state: KazooState

    @property
    def data(self) -> dict[str, Any]:
        """The body's wrapped fields (``{"data": {...}}``: the request envelope)."""
        wrapped: dict[str, Any] = self.body.get(REQUEST_ENVELOPE) or {}
        return wrapped

    def ok(self, data: Any, status: int = 200, **paging: Any) -> web.Response:
        return success(self.token, data, status, **paging)

    def page(self, items: list[tuple[int, dict[str, Any]]]) -> web.Response:
        """One page of ``(key, item)`` pairs in key order: from ``start_key`` (a key the sandbox did not
        give reads as the end of the list), ``page_size`` of them (50 by default); ``next_start_key``
        names the next page's first item, and is absent on the last page."""
        size = self.query.get("page_size") or DEFAULT_PAGE_SIZE
        given = self.query.get("start_key")
        start = 0 if given is None else read_page_key(given)
        chosen = [] if start is None else [pair for pair in items if pair[0] >= start]
        shown, following = chosen[:size], chosen[size : size + 1]
        keys: dict[str, Any] = {"page_size": len(shown)}
        if shown or given is not None:
            keys["start_key"] = given if given is not None else page_key(shown[0][0])
        if following:
            keys["next_start_key"] = page_key(following[0][0])
        return self.ok([item for _, item in shown], **keys)


Handler = Callable[[Call], web.StreamResponse]


# --- requests: auth and bodies ------------------------------------------------------------------------------


def _authorized(request: web.Request, state: KazooState) -> str:
    """The request's token, if it is good for the account in the URL; else a 401 (or a 403)."""
    token = request.headers.get("X-Auth-Token", "")
    found = state.token(token) if token else None
    if found is None:
        raise Refusal(401, "invalid_credentials", "the X-Auth-Token is missing, unknown or expired")
    if found.account is not None and found.account != request.match_info["account_id"]:
        raise Refusal(403, "forbidden", "the auth token is not for this account")
    return token


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    content = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        content += chunk
        if len(content) > limit:
            raise Refusal(413, "PAYLOAD_TOO_LARGE", f"a part of the request is over {limit} bytes")
    return bytes(content)


def _kind(content_type: str, content: bytes) -> str:
    """A document's type: as its part says, else from its first bytes."""
    if content_type and content_type != "application/octet-stream":
        return content_type
    return next((kind for magic, kind in MAGIC if content.startswith(magic)), "application/octet-stream")


async def _multipart(
    request: web.Request, operation: Operation[Any]
) -> tuple[dict[str, Any], Document | None]:
    """The JSON part (``{"data": {...}}``, checked) and the document part of a multipart send."""
    metadata: dict[str, Any] | None = None
    document: Document | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or (metadata is not None and document is not None):
                raise bad_request(
                    'a multipart send has two parts: the JSON {"data": {...}}, then the document'
                )
            content_type = part.headers.get("Content-Type", "").partition(";")[0].strip().lower()
            if content_type == "application/json" and metadata is None:
                metadata = checked_json((await _read_part(part, MAX_JSON_SIZE)).strip(), operation)
            else:
                content = await _read_part(part, MAX_DOCUMENT_SIZE)
                if not content:
                    raise bad_request("the document part is empty")
                document = Document(content, _kind(content_type, content))
    except ConnectionResetError:  # the client went away mid-body: nothing to answer
        raise asyncio.CancelledError from None
    # aiohttp's reader raises these (and asserts) on a body that is not well-formed multipart
    except (
        ValueError,
        LookupError,
        RuntimeError,
        AssertionError,
        HttpProcessingError,
        web.RequestPayloadError,
    ):
        raise bad_request("the request body is not a well-formed multipart/mixed body") from None
    if metadata is None:
        raise bad_request('a multipart send needs an application/json part: {"data": {...}}')
    return metadata, document


async def _body(request: web.Request, operation: Operation[Any]) -> tuple[dict[str, Any], Document | None]:
    """The operation's body: JSON checked against its request schema, or for a send that takes a
    document (the table's ``multipart``), a ``multipart/mixed`` body."""
    if operation.body is None:
        return {}, None
    if operation.multipart and request.content_type.startswith("multipart/"):
        return await _multipart(request, operation)
    return await json_body(request, operation), None


def _prepare(operation: Operation[Any], state: KazooState) -> Callable[[web.Request], Awaitable[Call]]:
    """How a request for ``operation`` becomes a call: its token and values checked against the spec."""

    async def prepare(request: web.Request) -> Call:
        token = _authorized(request, state)
        values, query = path_values(request, operation), query_values(request, operation)
        body, document = await _body(request, operation)
        return Call(
            request=request,
            operation=operation,
            path_values=values,
            query=query,
            body=body,
            token=token,
            document=document,
            state=state,
        )

    return prepare


def _api_auth(state: KazooState, counters: Counters) -> Answer:
    """``PUT /v2/api_auth`` with ``{"data": {"api_key": …}}``: a token in the envelope's ``auth_token``."""

    async def answer(request: web.Request) -> web.StreamResponse:
        counters.requests[ROUTE_PREFIX + "api_auth"] += 1
        try:
            body = json_object(await read_raw(request))
            data = body.get("data")
            api_key = data.get("api_key") if isinstance(data, dict) else None
            if not isinstance(api_key, str) or not api_key:
                raise bad_request("data.api_key: must be a non-empty string")
            issued = state.issue_token(api_key)
            if issued is None:
                raise Refusal(401, "invalid_credentials", "the API key is not one the sandbox accepts")
        except Refusal as refusal:
            return error_response(refusal)
        token, account = issued
        shown = {"account_id": account, "account_name": "Sandbox", "apps": [], "is_reseller": False}
        return success(token, {**shown, "language": "en-us"}, status=201)

    return answer


# --- behaviours ---------------------------------------------------------------------------------------------


def _queue(call: Call, given: Mapping[str, Any], document: Document | None, copied: Fax | None = None) -> Fax:
    """A new job from the fields given and a document sent, or those of the fax it copies."""
    content, content_type = (document.content, document.content_type) if document else (None, None)
    if document is None and copied is not None:
        content, content_type = copied.document, copied.content_type
    if content is None and not (given.get("document") or {}).get("url"):
        raise bad_request(NO_DOCUMENT)
    return call.state.queue(given, content, content_type)


def _send(call: Call) -> web.StreamResponse:
    """A fax queued; 202 as Kazoo answers it (the document is stored or fetched in the background)."""
    return call.ok(_queue(call, call.data, call.document).view(), status=202)


def _summary(fax: Fax) -> dict[str, Any]:
    """A job as the outgoing list shows it (004's example)."""
    fields = fax.fields
    return {
        "created": fields["created"],
        "from": fields["from_number"],
        "id": fax.id,
        "status": fields["status"],
        "to": fields["to_number"],
    }


def _row(fax: Fax) -> dict[str, Any]:
    """A fax as a folder's list shows it: the view's row (id, status, to, from, created) and its fields."""
    return {**fax.view(), "from": fax.fields["from_number"], "to": fax.fields["to_number"]}


def _check_attachment(fax: Fax) -> None:
    """A 404 for a fax whose document is gone (or never came)."""
    if fax.document is None:
        raise Refusal(404, "bad_identifier", f"fax {fax.id} has no attachment")


def _document_answer(call: Call, fax: Fax) -> web.StreamResponse:
    """The fax's document, as the ``disposition`` asked (attachment by default), with a file name."""
    _check_attachment(fax)
    kind = fax.content_type if fax.content_type in FAX_TYPES else "application/octet-stream"
    extension = EXTENSIONS.get(kind, "bin")
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime(fax.fields["created"] - GREGORIAN_OFFSET))
    disposition = call.query.get("disposition", "attachment")
    return web.Response(
        body=fax.document,
        content_type=kind,
        headers={"Content-Disposition": f'{disposition}; filename="fax_document_{stamp}.{extension}"'},
    )


@dataclass(frozen=True, kw_only=True)
class Folder:
    """The faxes of one folder, by the ids of the operations that list, get, delete and resubmit them and
    get or delete their document. Which path parameter names a fax, whether a list pages and whether an
    answer is the document itself are the table's."""

    name: str
    lists: str | None = None
    gets: str | None = None
    deletes: str | None = None
    attachment: str | None = None
    deletes_attachment: str | None = None
    resubmits: str | None = None
    row: Callable[[Fax], dict[str, Any]] = _row

    def handlers(self) -> dict[str, Handler]:
        named: dict[str | None, Handler] = {
            self.lists: self._list,
            self.gets: self._get,
            self.deletes: self._delete,
            self.attachment: self._attachment,
            self.deletes_attachment: self._delete_attachment,
            self.resubmits: self._resubmit,
        }
        found = {operation_id: handler for operation_id, handler in named.items() if operation_id is not None}
        for operation_id in found.keys() & BY_ID.keys():  # (the registry leaves out those the table lacks)
            operation = BY_ID[operation_id]
            assert (operation_id == self.lists) == (operation.paging is not None), f"{operation_id}: paging"
            assert (operation_id == self.attachment) == operation.binary, f"{operation_id}: a document"
        return found

    def _fax(self, call: Call) -> Fax:
        """The fax the request's path names (its one path parameter, as the table has it), or a 404."""
        [name] = [parameter.name for parameter in call.operation.parameters if parameter.location == "path"]
        fax = call.state.find(self.name, call.path_values[name])
        if fax is None:
            raise _unknown(f"{self.name} fax", call.path_values[name])
        return fax

    def _list(self, call: Call) -> web.StreamResponse:
        return call.page([(fax.key, self.row(fax)) for fax in call.state.folder(self.name)])

    def _get(self, call: Call) -> web.StreamResponse:
        return call.ok(self._fax(call).view())

    def _delete(self, call: Call) -> web.StreamResponse:
        fax = self._fax(call)
        del call.state.faxes[fax.id]
        return call.ok(fax.view())

    def _attachment(self, call: Call) -> web.StreamResponse:
        return _document_answer(call, self._fax(call))

    def _delete_attachment(self, call: Call) -> web.StreamResponse:
        fax = self._fax(call)
        _check_attachment(fax)
        fax.document = fax.content_type = None
        return call.ok(fax.view())

    def _resubmit(self, call: Call) -> web.StreamResponse:
        """A copy of the fax, with the changes ``data`` gives, queued as a new job."""
        fax = self._fax(call)
        return call.ok(_queue(call, {**fax.fields, **call.data}, None, copied=fax).view())


def _smtp_entries(call: Call) -> web.StreamResponse:
    """The SMTP log as its list shows it (Kazoo source's view: id, from, to, the first error, created)."""
    rows = []
    for key, entry in enumerate(call.state.smtplog.values()):
        row = {name: entry[name] for name in ("id", "from", "to", "created")}
        rows.append((key, {**row, **({"error": entry["errors"][0]} if entry["errors"] else {})}))
    return call.page(rows)


def _smtp_entry(call: Call) -> web.StreamResponse:
    attempt_id = call.path_values["attempt_id"]
    entry = call.state.smtplog.get(attempt_id)
    if entry is None:
        raise _unknown("smtplog entry", attempt_id)
    return call.ok(entry)


FOLDERS = (
    Folder(name="outgoing", lists="ListOutgoingFaxes", gets="GetOutgoingFax", row=_summary),
    Folder(
        name="outbox",
        lists="ListOutboxFaxes",
        gets="GetOutboxFax",
        deletes="DeleteOutboxFax",
        attachment="GetOutboxFaxAttachment",
        deletes_attachment="DeleteOutboxFaxAttachment",
        resubmits="ResubmitOutboxFax",
    ),
    Folder(
        name="inbox",
        lists="ListInboxFaxes",
        gets="GetInboxFax",
        deletes="DeleteInboxFax",
        attachment="GetInboxFaxAttachment",
        deletes_attachment="DeleteInboxFaxAttachment",
    ),
    # The spec's DECISION (Kazoo source, cb_faxes.erl): the incoming list answers the inbox's listing, and
    # one incoming fax is one stored in the folder "incoming" (here: received with receiving=True).
    Folder(name="inbox", lists="ListIncomingFaxes"),
    Folder(name="incoming", gets="GetIncomingFax"),
)
SINGLE: dict[str, Handler] = {
    "SendFax": _send,
    "CreateOutgoingFax": _send,  # 004: "identical to the PUT /faxes above"
    "ListSmtpLogs": _smtp_entries,
    "GetSmtpLog": _smtp_entry,
}


def handlers() -> dict[str, Handler]:
    """The registry: the handler of each Kazoo operation the sandbox keeps state for, by operationId."""
    return registry("Kazoo", BY_ID, [*(folder.handlers() for folder in FOLDERS), SINGLE])


def routes(state: KazooState, counters: Counters) -> list[tuple[str, str, str, Answer]]:
    """Every Kazoo route as (name, method, path, answer): an operation's is named ``kazoo.<operationId>``."""
    registered = handlers()
    found = [
        (
            ROUTE_PREFIX + operation.id,
            operation.method,
            ACCOUNT_PATH + operation.path,
            route(
                registered.get(operation.id, answer_as_documented), _prepare(operation, state), error_response
            ),
        )
        for operation in OPERATIONS
    ]
    return [*found, (ROUTE_PREFIX + "api_auth", "PUT", PREFIX + "/api_auth", _api_auth(state, counters))]
