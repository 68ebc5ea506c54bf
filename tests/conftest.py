"""Fixtures: a client for a fake host with aioresponses, a client for a running sandbox, and a real
PostgreSQL server for the journals kept in it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

import aioclicksend._core.retry
from aioclicksend import AsyncClickSend
from aioclicksend.sandbox import SandboxServer
from aioclicksend.testing import clicksend_sandbox

from .postgres_server import PostgresServer, running_postgres
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on loopback for the whole session (started by the first test that needs it)."""
    with running_postgres() as server:
        yield server


_databases = itertools.count()


@pytest.fixture
async def postgres_dsn(postgres: PostgresServer) -> str:
    """The DSN of a new, empty database on the session's server."""
    name = f"test_{next(_databases)}"
    connection = await asyncpg.connect(postgres.dsn())
    try:
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    return postgres.dsn(name)


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's bulk jobs keep their journal: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "job.db"
    return str(request.getfixturevalue("postgres_dsn"))
