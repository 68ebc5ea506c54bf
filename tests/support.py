"""What the tests share besides fixtures: the spec and its operation table, the fake API's address,
the mock that records requests, and the helpers that drive an operation from its documented examples."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiohttp import ClientResponse, web
from aioresponses import aioresponses

from aioclicksend import AsyncClickSend, RetryPolicy
from aioclicksend._core.operation import Operation
from aioclicksend._generated.operations import OPERATIONS
from aioclicksend.journal import PostgresJournal
from aioclicksend.sandbox import SandboxServer
from codegen.names import python_name

__all__ = [
    "API_KEY",
    "BASE_URL",
    "FAST",
    "OPERATIONS",
    "SPEC",
    "USERNAME",
    "MockAPI",
    "assert_job_settled",
    "assert_journal_settled",
]

BASE_URL = "https://api.clicksend.test/v3"
ANY_URL = re.compile(r"^https://api\.clicksend\.test/v3/.*$")
USERNAME = "test-user"
API_KEY = "SECRET-API-KEY-0000"
FAST = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
"""Retries that wait milliseconds, for tests that go through real retries."""

SPEC: dict[str, Any] = json.loads(
    resources.files("aioclicksend._generated").joinpath("openapi.json").read_text(encoding="utf-8")
)


class _Response(ClientResponse):
    """aioresponses 0.7.9 builds responses without the ``stream_writer`` aiohttp 3.14 requires
    (pnuckowski/aioresponses#289); this response class, passed through its ``response_class``
    parameter, supplies a stand-in until aioresponses catches up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(*args, **kwargs)


class MockAPI(aioresponses):
    """aioresponses whose answers are built with :class:`_Response` (through its public ``response_class``)."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("response_class", _Response)
        super().add(*args, **kwargs)


def sent(mock: aioresponses, method: str = "") -> list[Any]:
    """Every request the mock received (optionally of one HTTP method), in order, as (method, url, kwargs)."""
    return [
        (key[0], key[1], call.kwargs)
        for key, recorded in mock.requests.items()
        for call in recorded
        if not method or key[0] == method
    ]


def sent_json(kwargs: dict[str, Any]) -> Any:
    data = kwargs.get("data")
    data = getattr(data, "content", data)  # a body that can be sent only once keeps what it sends
    return None if data is None or data == b"" else json.loads(data)


def by_name(operation: Operation[Any]) -> str:
    return operation.name


def operation_of(operation: Operation[Any]) -> dict[str, Any]:
    """The spec's own entry for an operation of the table (its examples)."""
    return SPEC["paths"][operation.path][operation.method.lower()]  # type: ignore[no-any-return]


def example(content_owner: dict[str, Any] | None) -> Any:
    return (content_owner or {}).get("content", {}).get("application/json", {}).get("example")


def response_example(operation: Operation[Any]) -> Any:
    """The documented answer of an operation, if the docs show one."""
    responses = operation_of(operation)["responses"]
    return example(responses.get("200") or responses.get("201"))


def parameter_schema(operation: Operation[Any], wire_name: str) -> dict[str, Any]:
    for parameter in operation_of(operation).get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        if parameter["name"] == wire_name:
            return parameter.get("schema", {})  # type: ignore[no-any-return]
    return {}


def sample_value(operation: Operation[Any], kind: str, wire_name: str) -> Any:
    """A plausible value for a path or query argument, by its type, within the spec's bounds."""
    if kind == "integer":
        value = 1436849372 if "date" in wire_name or "after" in wire_name else 4321
        return min(value, parameter_schema(operation, wire_name).get("maximum", value))
    return f"sample-{python_name(wire_name)}"


def call_arguments(operation: Operation[Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Keyword arguments for a call from the documented examples, with the path values and the query
    expected on the wire."""
    kwargs: dict[str, Any] = {}
    path_values: dict[str, str] = {}
    query: dict[str, str] = {}
    for parameter in operation.parameters:
        if parameter.location == "path" or parameter.required:
            value = sample_value(operation, parameter.kind, parameter.name)
            kwargs[python_name(parameter.name)] = value
            (path_values if parameter.location == "path" else query)[parameter.name] = str(value)
    if operation.paging is not None and operation.paging.style == "page":
        kwargs["limit"] = 50
        query.update(limit="50", page="1")
    body = example(operation_of(operation).get("requestBody"))
    for wire_name, value in (body or {}).items():
        kwargs[python_name(wire_name)] = value
    return kwargs, path_values, query


async def invoke(client: AsyncClickSend, operation: Operation[Any], kwargs: dict[str, Any]) -> Any:
    """Call the SDK method of an operation (``client.sms.send(**kwargs)`` for ``sms.send``)."""
    target: Any = client
    for part in operation.name.split("."):
        target = getattr(target, part)
    return await target(**kwargs)


@contextlib.contextmanager
def sandbox_in_a_thread(**settings: Any) -> Iterator[SandboxServer]:
    """A running sandbox with an event loop of its own, for clients that are not async (schemathesis,
    the official SDK, the command line); ``settings`` are :class:`SandboxServer`'s."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = SandboxServer(**settings)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def assert_journal_settled(path: Path) -> None:
    """A SQLite journal is whole, and every batch it recorded is settled with nothing left unknown."""
    with closing(sqlite3.connect(path)) as db:  # (closed: an open read would hold the file's lock)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM settlements WHERE unresolved = 1").fetchone() == (0,)
        unsettled = db.execute(
            "SELECT count(*) FROM attempts LEFT JOIN settlements USING (job_id, number, attempt)"
            " WHERE settlement IS NULL"
        )
        assert unsettled.fetchone() == (0,)


async def assert_job_settled(journal: Path | str, job_id: str = "sms.send") -> None:
    """:func:`assert_journal_settled` for a SQLite file; for a PostgreSQL DSN, the job's batches are
    there and each is settled with nothing left unknown."""
    if isinstance(journal, Path):
        assert_journal_settled(journal)
        return
    store = PostgresJournal(journal)
    try:
        assert await store.unresolved(job_id) == [] and await store.formed(job_id) > 0
    finally:
        await store.close()


async def serve_on_loopback(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> tuple[str, web.AppRunner]:
    """A server on a free loopback port answering every request with ``handle``: its URL and its runner
    (``await runner.cleanup()`` stops it)."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", runner
