"""Fixtures: a client for a fake host with aioresponses, and a client for a running sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import aioclicksend._core.retry
from aioclicksend import AsyncClickSend
from aioclicksend.sandbox import SandboxServer
from aioclicksend.testing import clicksend_sandbox

from .support import API_KEY, BASE_URL, FAST, USERNAME, MockAPI

pytest_plugins = ["tests.redis_server"]  # the session's real Redis: the fixture redis_server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the retry policy's waits instead of sleeping."""
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(aioclicksend._core.retry, "_sleep", fake_sleep)
    return waited


@pytest.fixture
def mocked() -> Iterator[MockAPI]:
    """Every request the client makes is answered by what the test registers."""
    mock = MockAPI()
    with mock:
        yield mock


@pytest.fixture
async def client(sleeps: list[float]) -> AsyncIterator[AsyncClickSend]:
    """A client for the fake host ``BASE_URL`` (answered by ``mocked``), with retries that do not sleep."""
    async with AsyncClickSend(USERNAME, API_KEY, base_url=BASE_URL, retry_policy=FAST) as cs:
        yield cs


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxServer, AsyncClickSend]]:
    """A running sandbox and a client for it, with fast retries."""
    async with clicksend_sandbox(retry_policy=FAST) as pair:
        yield pair
