"""Test helpers for code that uses aioclicksend: a real local ClickSend and a client pointed at it.

    from aioclicksend.testing import clicksend_sandbox

    async def test_welcome_sms():
        async with clicksend_sandbox() as (server, cs):
            await my_app.send_welcome(cs, "+61411111111")
            assert (await cs.sms.history.list()).total == 1

The same sandbox serves the Kazoo faxes API; :func:`kazoo_sandbox` gives it with an
:class:`~aioclicksend.kazoo.AsyncKazoo` (an API key traded for a token), and ``server.kazoo`` receives
faxes, logs emails to fax and expires tokens:

    async with kazoo_sandbox(transmit_after=0.05) as (server, kazoo):
        server.kazoo.receive_fax(from_number="+15555550142")
        assert len((await kazoo.faxes.inbox.list()).data) == 1

With pytest, ``pytest_plugins = ["aioclicksend.testing"]`` in a conftest.py provides the fixtures
``clicksend_server`` (a running :class:`~aioclicksend.sandbox.SandboxServer`), ``clicksend``
(an :class:`~aioclicksend.AsyncClickSend` pointed at it) and ``kazoo`` (an
:class:`~aioclicksend.kazoo.AsyncKazoo` pointed at the same server). They need pytest-asyncio.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ._client import AsyncClickSend
from .kazoo import AsyncKazoo
from .sandbox import Faults, SandboxServer

__all__ = ["KAZOO_ACCOUNT_ID", "clicksend", "clicksend_sandbox", "clicksend_server", "kazoo", "kazoo_sandbox"]

KAZOO_ACCOUNT_ID = "4b8c6fec4b2597882c0390202d195419"
"""The account id the Kazoo helpers put in the address (any works unless API keys are restricted)."""


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


@contextlib.asynccontextmanager
async def kazoo_sandbox(
    *,
    faults: Faults | None = None,
    api_keys: Mapping[str, str] | None = None,
    transmit_after: float = 1.0,
    account_id: str = KAZOO_ACCOUNT_ID,
    api_key: str = "sandbox-kazoo-key",
    **client_options: Any,
) -> AsyncIterator[tuple[SandboxServer, AsyncKazoo]]:
    """A sandbox on a free loopback port and a Kazoo faxes client for it (which trades ``api_key`` for an
    auth token); both closed on exit.

    ``api_keys`` (account id → API key) makes the sandbox accept only those keys; a fax sent is
    transmitted after ``transmit_after`` seconds.
    """
    async with (
        SandboxServer(faults=faults, kazoo_api_keys=api_keys, kazoo_transmit_after=transmit_after) as server,
        AsyncKazoo(
            base_url=server.kazoo_base_url, account_id=account_id, api_key=api_key, **client_options
        ) as client,
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

    @pytest_asyncio.fixture
    async def kazoo(clicksend_server: SandboxServer) -> AsyncIterator[AsyncKazoo]:
        """A Kazoo faxes client pointed at ``clicksend_server`` (which serves both APIs)."""
        async with AsyncKazoo(
            base_url=clicksend_server.kazoo_base_url, account_id=KAZOO_ACCOUNT_ID, api_key="sandbox-kazoo-key"
        ) as client:
            yield client
