"""Receivers: a handler of your web framework for each kind of push, answering ClickSend as it expects.

Each answers ``200 OK`` once your handler has run (or for a retry of a push already handled), ``400`` for a
push that cannot be read, ``403`` for a missing or wrong secret, ``405`` for a method other than GET or
POST, and ``500`` when your handler (or the store) raised: ClickSend then sends the push again later. A
retry that comes while its push is handled is answered as that push, once it is (500 if it takes too long).
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from ._dedup import DedupStore, MemoryDedupStore, dedup_key
from ._errors import WebhookError
from ._parse import aiohttp_body, parse, starlette_body
from ._table import webhook

if TYPE_CHECKING:
    from aiohttp import web
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import Response as StarletteResponse

    from aioclicksend._generated.webhooks import Kind

__all__ = ["SECRET_PARAMETER", "Handler", "aiohttp_receiver", "starlette_endpoint"]

logger = logging.getLogger("aioclicksend")

SECRET_PARAMETER = "secret"
"""Where a receiver looks for the shared secret: the route's ``{secret}`` path part when it has one, else
the ``secret`` query parameter of the URL you give ClickSend (``https://you.example/clicksend/sms?secret=…``)."""

Handler = Callable[[Any], object]
"""Your coroutine function (or plain function, run in the event loop), called with the push's model (e.g.
an ``InboundSmsPush``); what it returns is ignored, and an exception it raises makes the receiver answer 500,
so that ClickSend sends the push again."""


@dataclass(frozen=True)
class _Answer:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)


OK = _Answer(200, "OK")
ERROR = _Answer(500, "Internal Server Error")
DUPLICATE_WAIT = 20.0
"""How long a push that comes again while it is handled waits for that to end, by default: less than the
30 seconds ClickSend waits for an answer."""


class _Receiver:
    """What the receivers of every framework share: the secret, the dedup, the handler and the answers."""

    def __init__(
        self,
        kind: Kind,
        handler: Handler,
        secret: str | None,
        store: DedupStore | None,
        duplicate_wait: float = DUPLICATE_WAIT,
    ) -> None:
        webhook(kind)  # a ValueError now for a kind the spec does not describe
        self.kind = kind
        if not callable(handler):
            raise TypeError(
                f"handler must be a function (or coroutine function) taking the push, not {handler!r}"
            )
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ValueError("secret must be a non-empty string (or None for no secret)")
        self.handler = handler
        self.secret = secret.encode("utf-8") if secret is not None else None
        if store is not None and not isinstance(store, DedupStore):
            raise TypeError(
                f"store must have the DedupStore methods seen, done, forget and outcome: {store!r}"
            )
        self.store: DedupStore = store if store is not None else MemoryDedupStore()
        number = isinstance(duplicate_wait, (int, float)) and not isinstance(duplicate_wait, bool)
        if not (number and 0 < duplicate_wait < math.inf):
            raise ValueError(f"duplicate_wait must be a positive number of seconds, not {duplicate_wait!r}")
        self.duplicate_wait = float(duplicate_wait)

    def refusal(self, method: str, query: str, path_secret: str | None) -> _Answer | None:
        """The answer to a request refused before its push is read: for its method, or its secret."""
        if method not in ("GET", "POST"):
            return _Answer(405, "Method Not Allowed", {"Allow": "GET, POST"})
        if self.secret is None:
            return None
        given = path_secret
        if given is None:
            values = [unquote_plus(value) for name, value in _query_pairs(query) if name == SECRET_PARAMETER]
            given = values[0] if len(values) == 1 else None
        if given is None or not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.secret):
            return _Answer(403, "Forbidden")
        return None

    def push_query(self, query: str) -> str:
        """The query string a GET push's variables are read from: the URL's, without the secret."""
        if self.secret is None:
            return query
        return "&".join(chunk for name, chunk in _query_pairs(query, chunks=True) if name != SECRET_PARAMETER)

    async def receive(
        self, body: Callable[[], Awaitable[bytes]], content_type: str | None, query: str
    ) -> _Answer:
        """Read the push, answer a duplicate as its original, else hand it to the handler."""
        try:
            push = parse(
                self.kind, body=await body(), content_type=content_type, query=self.push_query(query)
            )
        except WebhookError as error:
            logger.warning("rejected a %s push: %s", self.kind, "; ".join(error.problems))
            return _Answer(400, f"Bad Request: {error}")
        key = None
        try:
            key = dedup_key(self.kind, push)
            duplicate = key is not None and await self.store.seen(key)
        except Exception:
            logger.exception("the dedup store failed on a %s push", self.kind)
            return ERROR
        except BaseException:  # cancelled: the store may have recorded a push that was never handled
            await self._settle(key, done=False)
            raise
        if duplicate and key is not None:
            return await self._duplicate(key)
        try:
            result = self.handler(push)
            if inspect.isawaitable(result):
                await result
        except BaseException as error:
            await self._settle(key, done=False)
            if not isinstance(error, Exception):  # cancelled (or the process exiting): not ours to answer
                raise
            logger.exception("the handler of a %s push raised; ClickSend will send it again", self.kind)
            return ERROR
        await self._settle(key, done=True)
        return OK

    async def _duplicate(self, key: str) -> _Answer:
        """The answer to a push seen already: its original's, once that is known (500 past the wait)."""
        try:
            done = await asyncio.wait_for(self.store.outcome(key), self.duplicate_wait)
        except asyncio.TimeoutError:
            logger.warning(
                "the %s push %s came again while handled, for over %s s: answered 500",
                self.kind,
                key,
                self.duplicate_wait,
            )
            return ERROR
        except Exception:
            logger.exception("the dedup store failed on a %s push", self.kind)
            return ERROR
        if done:
            logger.debug("dropped a retry of the %s push %s", self.kind, key)
            return OK
        logger.warning("the %s push %s came again while handled, which failed: answered 500", self.kind, key)
        return ERROR

    async def _settle(self, key: str | None, *, done: bool) -> None:
        """Record a push done, or forget one that was not handled so that ClickSend's retry of it is."""
        if key is None:
            return
        try:
            await (self.store.done(key) if done else self.store.forget(key))
        except Exception:
            logger.exception(
                "the dedup store failed to %s the %s push %s", "record" if done else "forget", self.kind, key
            )


def _query_pairs(query: str, *, chunks: bool = False) -> list[tuple[str, str]]:
    """A raw query string's fields: (decoded name, raw value), or with ``chunks`` (name, ``name=value``)."""
    found = []
    for chunk in query.split("&"):
        if chunk:
            name, _, value = chunk.partition("=")
            found.append((unquote_plus(name), chunk if chunks else value))
    return found


def aiohttp_receiver(
    kind: Kind,
    handler: Handler,
    *,
    secret: str | None = None,
    store: DedupStore | None = None,
    duplicate_wait: float = DUPLICATE_WAIT,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp.web handler receiving pushes of ``kind`` and calling ``await handler(push)`` for each.

    Mount it for GET and POST (a rule's ``webhook_type`` decides which comes), e.g.
    ``app.router.add_route("*", "/clicksend/sms", aiohttp_receiver("sms_inbound", on_sms))``. With
    ``secret``, a request must carry it (see :data:`SECRET_PARAMETER`; compared in constant time) or is
    answered 403. A push already handled (by its :func:`~aioclicksend.webhooks.dedup_key`, recorded in
    ``store``, by default a :class:`~aioclicksend.webhooks.MemoryDedupStore` of its own) is answered 200
    without calling ``handler`` again; if ``handler`` raises, the push is forgotten and answered 500, so
    that ClickSend sends it again. A push that comes again while it is handled waits for that to end (at
    most ``duplicate_wait`` seconds, default 20) and is answered as it is: 200, or 500 if ``handler``
    raised or is still running.
    """
    from aiohttp import web

    receiver = _Receiver(kind, handler, secret, store, duplicate_wait)

    async def receive(request: web.Request) -> web.Response:
        query = request.rel_url.raw_query_string
        answer = receiver.refusal(request.method, query, request.match_info.get(SECRET_PARAMETER))
        if answer is None:
            answer = await receiver.receive(
                lambda: aiohttp_body(request, receiver.kind), request.headers.get("Content-Type"), query
            )
        return web.Response(status=answer.status, text=answer.text, headers=answer.headers)

    return receive


def starlette_endpoint(
    kind: Kind,
    handler: Handler,
    *,
    secret: str | None = None,
    store: DedupStore | None = None,
    duplicate_wait: float = DUPLICATE_WAIT,
) -> Callable[[StarletteRequest], Awaitable[StarletteResponse]]:
    """A Starlette endpoint receiving pushes of ``kind``: the same as :func:`aiohttp_receiver`, for
    ``Route("/clicksend/sms", starlette_endpoint("sms_inbound", on_sms), methods=["GET", "POST"])``, or in
    FastAPI ``app.add_route("/clicksend/sms", endpoint, methods=["GET", "POST"])``. The secret may be a
    ``{secret}`` path parameter of the route. Starlette is imported with the first request, so it is no
    dependency of aioclicksend.
    """
    receiver = _Receiver(kind, handler, secret, store, duplicate_wait)

    async def endpoint(request: StarletteRequest) -> StarletteResponse:
        from starlette.responses import PlainTextResponse

        query = request.url.query
        path_secret = request.path_params.get(SECRET_PARAMETER)
        answer = receiver.refusal(
            request.method, query, path_secret if isinstance(path_secret, str) else None
        )
        if answer is None:
            answer = await receiver.receive(
                lambda: starlette_body(request, receiver.kind), request.headers.get("content-type"), query
            )
        return PlainTextResponse(answer.text, status_code=answer.status, headers=answer.headers)

    return endpoint
