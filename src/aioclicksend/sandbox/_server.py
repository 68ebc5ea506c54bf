"""Running the sandbox on a loopback port, from code or from the command line."""

from __future__ import annotations

import socket
from types import TracebackType

from aiohttp import web

from ._app import SandboxState, create_app
from ._faults import Counters, Faults


class SandboxServer:
    """The sandbox on ``host:port`` (port 0: a free one), as an async context manager.

    ``server.base_url`` is what to give ``AsyncClickSend(base_url=...)``; ``server.faults`` can be
    changed while it runs; ``server.counters`` and ``server.state.store`` show what it received.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, faults: Faults | None = None) -> None:
        self.host = host
        self.port = port
        self.state = SandboxState(faults=faults or Faults())
        self._runner: web.AppRunner | None = None

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def counters(self) -> Counters:
        return self.state.counters

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v3"

    async def start(self) -> None:
        self._runner = web.AppRunner(create_app(self.state), access_log=None, handle_signals=False)
        await self._runner.setup()
        listener = socket.create_server((self.host, self.port), reuse_port=False)
        self.port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop()
