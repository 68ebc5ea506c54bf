"""A deliberately hostile HTTP server for the fuzz tests (tests/core/test_fuzz.py).

It runs in a thread of its own, with its own event loop, on 127.0.0.1, so that the code under test can
run each example in a fresh event loop of its own. It reads every request whole and then answers with
whatever raw bytes the test's handler returns: a malformed status line, a ``Content-Length`` that
lies, broken chunked framing, a body cut short, nothing at all, a reset connection, or no answer until
the client gives up. Every connection is closed after one answer, so that which request gets which
answer never depends on the client reusing a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["HostileServer", "Reply", "Request"]

_MAX_HEAD = 64 * 1024
_DRAIN_LIMIT = 1.0
"""Longest the server waits for the client to take an answer, before it resets the connection."""
_STALL_LIMIT = 30.0
"""Longest a stalled answer waits for the client to go away, so that no connection lives forever."""


@dataclass(frozen=True)
class Request:
    """One request as the server read it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    port: int
    """The server's port it came to (``port`` or ``other_port``)."""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def route(self) -> str:
        """The first segment of the path, which picks the handler."""
        return self.path.split("/")[1] if self.path.count("/") >= 1 else ""

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    """What to do with a connection once its request is read."""

    data: bytes = b""
    """Bytes written as they are (status line, headers and body, or anything else)."""
    reset: bool = False
    """Abort the connection (TCP RST) instead of answering; ``data`` is then not written."""
    stall: bool = False
    """Write nothing until the client closes the connection (it times out)."""


Handler = Callable[[Request], Reply]


@dataclass
class HostileServer:
    """Requests to ``/<route>/…`` are answered by ``handlers[route]``; others get a reset connection.

    Routing by the first path segment (each example has its own) ties every request to the example
    that sent it, even one an abandoned client of an earlier example sends late.
    """

    handlers: dict[str, Handler] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    """Exceptions raised by handlers: bugs of the test itself, which the test must report."""
    port: int = 0
    other_port: int = 0
    """A second port with the same handlers: another origin, where redirects must not take credentials."""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _servers: list[asyncio.Server] = field(default_factory=list)
    _connections: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="hostile-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the hostile server did not start")

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        for _ in range(2):
            self._servers.append(loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0)))
        self.port, self.other_port = (server.sockets[0].getsockname()[1] for server in self._servers)
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError):
            pass
        finally:
            self._connections.discard(task)
            writer.transport.abort()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader, writer.get_extra_info("sockname")[1])
        if request is None:
            return
        handler = self.handlers.get(request.route)
        if handler is None:
            return
        try:
            reply = handler(request)
        except Exception as error:  # a bug of the test: record it, and answer nothing
            self.errors.append(error)
            return
        if reply.stall:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(), _STALL_LIMIT)
            return
        if reply.reset:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        writer.write(reply.data)
        try:  # a client that stops reading does not hold the server up
            await asyncio.wait_for(writer.drain(), _DRAIN_LIMIT)
        except asyncio.TimeoutError:
            return
        if writer.can_write_eof():
            writer.write_eof()
        # Let the client read everything and go away first, so that it never sees a reset.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(), 5.0)


async def _read_request(reader: asyncio.StreamReader, port: int) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _MAX_HEAD:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    )
    lengths = [value for name, value in headers if name.lower() == "content-length"]
    body = await reader.readexactly(int(lengths[0])) if lengths else b""
    return Request(method, target, headers, body, port)
