"""The sandbox's aiohttp application: a route per operation of ClickSend's table and of Kazoo's
(:mod:`.kazoo.behaviours`), the middlewares around them (request log, counters, faults before and after the
handler: the same for both APIs, each answering errors in its own shape) and the sandbox's own endpoints."""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .._core.operation import Operation
from ._answers import TEST_ACCOUNTS, Refusal, envelope
from ._behaviours import BY_ID, TEST_SMS_BODY, Call, handlers, receive_sms
from ._faults import Counters, Faults, RateLimiter
from ._framework import answer_as_documented, route
from ._pushes import Pushes
from ._store import Store
from ._validation import json_body, json_object, path_values, query_values, read_raw
from .kazoo import behaviours as _kazoo
from .kazoo.state import KazooState

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "TEST_ACCOUNTS", "SandboxState", "create_app", "logger"]

API_PREFIX = "/v3"
CONTROL_PREFIX = "/_sandbox"  # the sandbox's own endpoints (counters, faults), outside the ClickSend API
TRAILING_SLASH = "{_trailing_slash:/?}"  # every operation's path also answers with a "/" at its end

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
}
"""The response code of each HTTP status (the docs' Status Codes table); others are their reason phrase."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing; any other is a write."""
ERROR_MESSAGES = {
    404: "The URI requested is invalid or the resource requested does not exists.",
    405: "Method doesn't exist or is not allowed.",
}

logger = logging.getLogger("aioclicksend.sandbox")
"""Logs a line per request at INFO: method, path, status and milliseconds (never a header or a body)."""

Next = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""What a middleware hands the request on to."""


@dataclass
class SandboxState:
    """What one sandbox server holds: its faults (change them at run time), counters and data."""

    faults: Faults = field(default_factory=Faults)
    counters: Counters = field(default_factory=Counters)
    store: Store = field(default_factory=Store)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    accounts: Mapping[str, str] | None = None
    """The only username → API key pairs accepted; None: any non-empty username and key."""
    kazoo: KazooState = field(default_factory=KazooState)
    """The Kazoo faxes API's faxes, SMTP log and tokens (and its API keys and transmit delay)."""
    pushes: Pushes = field(default_factory=Pushes)
    """The inbound SMS and delivery receipts pushed to URL rules, and every attempt at them."""

    def receive_sms(
        self, body: str = TEST_SMS_BODY, *, from_number: str | None = None, to: str | None = None
    ) -> dict[str, Any]:
        """An SMS received: kept in the inbound list (a reply to the last SMS sent, unless ``from_number``
        and ``to`` say otherwise) and pushed to every enabled URL inbound rule it matches."""
        return receive_sms(self.store, self.pushes, body, from_number=from_number, to=to)


STATE_KEY = web.AppKey("aioclicksend_sandbox_state", SandboxState)
ROUTED: dict[str, Operation[Any]] = {**BY_ID, **_kazoo.ROUTED}
"""Every operation by the name of its route: ClickSend's operationId, ``kazoo.<operationId>``."""


def _operation(request: web.Request) -> Operation[Any] | None:
    """The operation a request was routed to (its route is named after the operationId), if any."""
    return ROUTED.get(request.match_info.route.name or "")


def _refused(request: web.Request, refusal: Refusal) -> web.Response:
    """A refusal in the shape of the API the request is for."""
    return _kazoo.error_response(refusal) if _kazoo.serves(request.path) else refusal.response


def _caller(request: web.Request, state: SandboxState) -> str:
    """Who the rate limit counts a request against: its ClickSend username, or its Kazoo account."""
    if _kazoo.serves(request.path):
        return "kazoo:" + request.match_info.get("account_id", "")
    return _account(request, state.accounts) or request.remote or "anonymous"


def _account(request: web.Request, accounts: Mapping[str, str] | None) -> str | None:
    """The username of the request's Basic credentials, if they are accepted."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        username, _, api_key = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not username or not api_key:
        return None
    if accounts is None:
        return username
    return username if hmac.compare_digest(accounts.get(username, "").encode(), api_key.encode()) else None


# --- middlewares, outermost first -------------------------------------------------------------------------


@web.middleware
async def _log_requests(request: web.Request, handler: Next) -> web.StreamResponse:
    """A line per request on the ``aioclicksend.sandbox`` logger; ``-`` for a request left unanswered."""
    if not logger.isEnabledFor(logging.INFO):
        return await handler(request)
    began = time.perf_counter()
    status: int | str = "-"
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        elapsed = (time.perf_counter() - began) * 1000
        logger.info("%s %s %s %.1f ms", request.method, request.path, status, elapsed)


@web.middleware
async def _json_errors(request: web.Request, handler: Next) -> web.StreamResponse:
    """aiohttp's own refusals (no such route, a method the path does not take, a body too large…) as
    the API's JSON envelope instead of ``text/plain``, with their headers (``Allow``)."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = ERROR_CODES.get(error.status, error.reason.upper().replace(" ", "_"))
        response = _refused(
            request, Refusal(error.status, code, ERROR_MESSAGES.get(error.status, error.reason))
        )
        for name in ("Allow", "Retry-After"):
            if name in error.headers:
                response.headers[name] = error.headers[name]
        return response


@web.middleware
async def _count(request: web.Request, handler: Next) -> web.StreamResponse:
    """Counts requests per operation (by route name) and answers per status (not the sandbox's own
    endpoints)."""
    counters = request.app[STATE_KEY].counters
    if _operation(request) is not None:
        counters.requests[request.match_info.route.name or ""] += 1
    response = await handler(request)
    if not request.path.startswith(CONTROL_PREFIX):
        counters.answered[response.status] += 1
    return response


@web.middleware
async def _json_control_writes(request: web.Request, handler: Next) -> web.StreamResponse:
    """A write to the sandbox's own endpoints must be ``application/json``, which a web page of another
    site cannot send without the browser asking first (a cross-site ``text/plain`` or form POST could
    otherwise reset the counters or change the faults): else a 415."""
    if (
        request.method not in SAFE_METHODS
        and request.path.startswith(CONTROL_PREFIX + "/")
        and request.content_type != "application/json"
    ):
        given = request.headers.get("Content-Type", "none")
        return envelope(
            415, "UNSUPPORTED_MEDIA_TYPE", f"Content-Type: must be application/json, not {given!r:.80}"
        )
    return await handler(request)


@web.middleware
async def _faults_before(request: web.Request, handler: Next) -> web.StreamResponse:
    """Before an operation is looked at: latency, the rate limit (429 with Retry-After), injected 5xx."""
    if _operation(request) is None:
        return await handler(request)
    state = request.app[STATE_KEY]
    faults, counters = state.faults, state.counters
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.rate_limit is not None:
        wait = state.limiter.acquire(_caller(request, state), faults.rate_limit)
        if wait:
            counters.rate_limited += 1
            response = _refused(request, Refusal(429, "TOO_MANY_REQUESTS", "Rate limit exceeded."))
            response.headers["Retry-After"] = Counters.retry_after(wait)
            return response
    if faults.draw(faults.error_rate):
        counters.injected_errors += 1
        refusal = Refusal(faults.error_status(), "INTERNAL_ERROR", "Injected failure before processing.")
        return _refused(request, refusal)
    return await handler(request)


@web.middleware
async def _faults_after(request: web.Request, handler: Next) -> web.StreamResponse:
    """After an operation was carried out: a latency spike, a dropped connection, an injected 5xx."""
    response = await handler(request)
    if _operation(request) is None:
        return response
    state = request.app[STATE_KEY]
    faults, counters = state.faults, state.counters
    if faults.draw(faults.spike_rate):
        counters.spiked += 1
        await asyncio.sleep(faults.spike_ms / 1000)
    if faults.draw(faults.drop_rate):
        counters.dropped += 1
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    if faults.draw(faults.error_after_rate):
        counters.injected_errors += 1
        refusal = Refusal(faults.error_status(), "INTERNAL_ERROR", "Injected failure after processing.")
        return _refused(request, refusal)
    return response


# --- the operations ---------------------------------------------------------------------------------------


def _prepare(operation: Operation[Any]) -> Callable[[web.Request], Awaitable[Call]]:
    """How a request for ``operation`` becomes a call: its credentials and values checked against the spec."""

    async def prepare(request: web.Request) -> Call:
        state = request.app[STATE_KEY]
        account = _account(request, state.accounts)
        if operation.auth and account is None:
            raise Refusal(401, "INVALID_CREDENTIALS", "Your username or API key is incorrect.")
        if account in ("notactive", "banned"):
            raise Refusal(*TEST_ACCOUNTS[account])
        return Call(
            request=request,
            operation=operation,
            path_values=path_values(request, operation),
            query=query_values(request, operation),
            body=await json_body(request, operation),
            account=account or "",
            store=state.store,
            counters=state.counters,
            pushes=state.pushes,
        )

    return prepare


def _clicksend_error(refusal: Refusal) -> web.Response:
    """A refusal in ClickSend's envelope."""
    return refusal.response


def _specificity(operation: Operation[Any]) -> tuple[int, int]:
    """Routes with more fixed path segments first, so that ``/sms/history`` is not read as ``/sms/{id}``."""
    segments = operation.path.split("/")
    return -sum(1 for part in segments if part and not part.startswith("{")), operation.path.count("{")


# --- the sandbox's own endpoints: no auth, no faults, not counted ---------------------------------------


async def _show_counters(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].counters.snapshot())


async def _reset_counters(request: web.Request) -> web.Response:
    counters = request.app[STATE_KEY].counters
    counters.reset()
    return web.json_response(counters.snapshot())


async def _show_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].faults.settings())


async def _change_faults(request: web.Request) -> web.Response:
    """Sets the fault fields the JSON body names; all are checked before any is changed."""
    faults = request.app[STATE_KEY].faults
    try:
        changes = json_object(await read_raw(request))
    except Refusal as refusal:
        return refusal.response
    unknown = sorted(set(changes) - set(faults.settings()))
    if unknown:
        return envelope(400, "BAD_REQUEST", f"{unknown[0]}: not a fault setting")
    try:
        Faults(**{**faults.settings(), **changes})
    except ValueError as error:
        return envelope(400, "BAD_REQUEST", str(error))
    for name, value in changes.items():
        setattr(faults, name, value)
    return web.json_response(faults.settings())


def create_app(state: SandboxState | None = None) -> web.Application:
    """The sandbox as an aiohttp application serving every operation of ClickSend's table under ``/v3``
    and of Kazoo's under ``/v2/accounts/{account_id}`` (and ``PUT /v2/api_auth``), and its own counters
    and faults under ``/_sandbox`` (written only with ``application/json``)."""
    app = web.Application(
        middlewares=[_log_requests, _count, _json_errors, _json_control_writes, _faults_before, _faults_after]
    )
    app[STATE_KEY] = state = state or SandboxState()

    async def stop_pushes(app: web.Application) -> None:
        await state.pushes.close()

    app.on_cleanup.append(stop_pushes)
    registered = handlers()
    for operation in sorted(BY_ID.values(), key=_specificity):
        answer = route(
            registered.get(operation.id, answer_as_documented), _prepare(operation), _clicksend_error
        )
        app.router.add_route(
            operation.method, API_PREFIX + operation.path + TRAILING_SLASH, answer, name=operation.id
        )
    for name, method, path, answer in _kazoo.routes(state.kazoo, state.counters):
        app.router.add_route(method, path + TRAILING_SLASH, answer, name=name)
    app.router.add_get(f"{CONTROL_PREFIX}/counters", _show_counters)
    app.router.add_post(f"{CONTROL_PREFIX}/counters/reset", _reset_counters)
    app.router.add_get(f"{CONTROL_PREFIX}/faults", _show_faults)
    app.router.add_put(f"{CONTROL_PREFIX}/faults", _change_faults)
    return app
