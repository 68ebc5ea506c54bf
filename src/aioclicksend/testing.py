"""Test helpers for code that uses aioclicksend: a real local ClickSend and a client pointed at it.

    from aioclicksend.testing import clicksend_sandbox

    async def test_welcome_sms():
        async with clicksend_sandbox() as (server, cs):
            await my_app.send_welcome(cs, "+61411111111")
            assert (await cs.sms.history.list()).total == 1

With pytest, ``pytest_plugins = ["aioclicksend.testing"]`` in a conftest.py provides the fixtures
``clicksend_server`` (a running :class:`~aioclicksend.sandbox.SandboxServer`) and ``clicksend``
(an :class:`~aioclicksend.AsyncClickSend` pointed at it). They need pytest-asyncio.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ._client import AsyncClickSend
from .sandbox import Faults, SandboxServer

__all__ = ["clicksend", "clicksend_sandbox", "clicksend_server"]


@contextlib.asynccontextmanager
async def clicksend_sandbox(
    *,
    faults: Faults | None = None,
    accounts: Mapping[str, str] | None = None,
    username: str = "sandbox-user",
    api_key: str = "sandbox-key",
    **client_options: Any,
) -> AsyncIterator[tuple[SandboxServer, AsyncClickSend]]:
    """A sandbox on a free loopback port and a client for it; both closed on exit.

    ``accounts`` (username → API key) makes the sandbox accept only those credentials.
    """
    async with (
        SandboxServer(faults=faults, accounts=accounts) as server,
        AsyncClickSend(username, api_key, base_url=server.base_url, **client_options) as client,
    ):
        yield server, client


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures need pytest-asyncio; the context manager does not
    pass
else:

    @pytest_asyncio.fixture
    async def clicksend_server() -> AsyncIterator[SandboxServer]:
        """A running sandbox on a free loopback port."""
        async with SandboxServer() as server:
            yield server

    @pytest_asyncio.fixture
    async def clicksend(clicksend_server: SandboxServer) -> AsyncIterator[AsyncClickSend]:
        """A client pointed at ``clicksend_server``."""
        async with AsyncClickSend(
            "sandbox-user", "sandbox-key", base_url=clicksend_server.base_url
        ) as client:
            yield client
