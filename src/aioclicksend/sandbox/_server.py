"""Running the sandbox on a loopback port, from code or from the command line."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from ._app import SandboxState, create_app
from ._faults import Counters, Faults
from ._pushes import DEFAULT_RECEIPT_DELAY, DEFAULT_RETRY_INTERVAL, Pushes
from .kazoo.state import KazooState


class _Connection(web.RequestHandler):
    """aiohttp's connection handler, also closed when a request (head and body) is not all in within
    ``read_timeout`` of its first byte. aiohttp's own ``keepalive_timeout`` closes idle connections."""

    def __init__(self, manager: web.Server, *, read_timeout: float, **options: Any) -> None:
        super().__init__(manager, **options)
        self._read_timeout = read_timeout
        self._read_deadline: asyncio.TimerHandle | None = None
        self._request: web.BaseRequest | None = None  # in hand or its body still coming; else None
        self._answered = False

    def data_received(self, data: bytes) -> None:
        if self._request is None and self._read_deadline is None:
            self._read_deadline = asyncio.get_running_loop().call_later(self._read_timeout, self.force_close)
        super().data_received(data)
        self._note_progress()

    def head_received(self, request: web.BaseRequest) -> None:
        self._request, self._answered = request, False
        self._note_progress()

    def request_answered(self) -> None:
        self._answered = True
        self._note_progress()

    def _note_progress(self) -> None:
        """Once the request is all in, its deadline is off; once it is also answered, the next may begin."""
        if self._request is None or not self._request.content.is_eof():
            return
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None
        if self._answered:
            self._request = None


@web.middleware
async def _follow_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Tells the connection when its request's head is in and when it is answered."""
    connection = request.protocol
    assert isinstance(connection, _Connection)  # the only handler SandboxServer serves with
    connection.head_received(request)
    try:
        return await handler(request)
    finally:
        connection.request_answered()


class SandboxServer:
    """The sandbox on ``host:port`` (port 0: a free one), as an async context manager.

    ``server.base_url`` is what to give ``AsyncClickSend(base_url=...)``, ``server.kazoo_base_url`` what
    to give ``AsyncKazoo(base_url=...)`` (the same server serves the Kazoo faxes API, any account id in
    the address); ``server.faults`` can be changed while it runs; ``server.counters``,
    ``server.state.store`` and ``server.kazoo`` show what it received (and ``server.kazoo`` receives
    faxes, logs emails and expires tokens for tests). ``accounts`` (username → API key) restricts the
    ClickSend credentials accepted, ``kazoo_api_keys`` (account id → API key) the Kazoo API keys; without
    them any are. A fax sent stays ``kazoo_transmit_after`` seconds in the outgoing queue.
    A connection is closed when a request takes over ``read_timeout`` seconds to come in once begun, or
    when it stays idle ``keepalive_timeout`` seconds.

    Inbound SMS and delivery receipts are pushed to the enabled URL rules (``server.pushes``; a receipt
    ``receipt_delay`` seconds after its message falls due), a push not answered 200 tried again every
    ``push_retry_interval`` seconds (ClickSend: 600); only loopback URLs are pushed to unless
    ``allow_remote_pushes``. ``server.state.receive_sms(...)`` makes an SMS arrive.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        faults: Faults | None = None,
        accounts: Mapping[str, str] | None = None,
        kazoo_api_keys: Mapping[str, str] | None = None,
        kazoo_transmit_after: float = 1.0,
        read_timeout: float = 10.0,
        keepalive_timeout: float = 75.0,
        push_retry_interval: float = DEFAULT_RETRY_INTERVAL,
        receipt_delay: float = DEFAULT_RECEIPT_DELAY,
        allow_remote_pushes: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        kazoo = KazooState(api_keys=kazoo_api_keys, transmit_after=kazoo_transmit_after)
        pushes = Pushes(
            retry_interval=push_retry_interval, receipt_delay=receipt_delay, allow_remote=allow_remote_pushes
        )
        self.state = SandboxState(faults=faults or Faults(), accounts=accounts, kazoo=kazoo, pushes=pushes)
        self.read_timeout = read_timeout
        self.keepalive_timeout = keepalive_timeout
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def counters(self) -> Counters:
        return self.state.counters

    @property
    def kazoo(self) -> KazooState:
        return self.state.kazoo

    @property
    def pushes(self) -> Pushes:
        return self.state.pushes

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v3"

    @property
    def kazoo_base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v2"

    async def start(self) -> None:
        app = create_app(self.state)
        app.middlewares.insert(0, _follow_requests)  # outermost: the connection sees every request
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None  # made by setup()
        loop = asyncio.get_running_loop()

        def connection() -> _Connection:
            return _Connection(
                server,
                loop=loop,
                read_timeout=self.read_timeout,
                keepalive_timeout=self.keepalive_timeout,
                access_log=None,
            )

        listener = socket.create_server((self.host, self.port), reuse_port=False)
        self.port = listener.getsockname()[1]
        self._listener = await loop.create_server(connection, sock=listener)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            await self._runner.cleanup()  # closes the connections
            self._runner = None
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()
