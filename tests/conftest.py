"""Shared fixtures: a client pointed at a fake host, aioresponses, and the spec's operations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from types import SimpleNamespace
from typing import Any

import aioresponses.core as aioresponses_core
import pytest
from aiohttp import ClientResponse
from aioresponses import aioresponses

import aioclicksend._retry
from aioclicksend import AsyncClickSend, RetryPolicy
from aioclicksend._generated.operations import OPERATIONS
from aioclicksend._operation import Operation

BASE_URL = "https://api.clicksend.test/v3"
USERNAME = "test-user"
API_KEY = "SECRET-API-KEY-0000"


class _CompatClientResponse(ClientResponse):
    """aioresponses 0.7.9 builds responses without the ``stream_writer`` aiohttp 3.14 requires
    (pnuckowski/aioresponses#289); give it a stand-in until aioresponses catches up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(*args, **kwargs)


aioresponses_core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


def load_spec() -> dict[str, Any]:
    text = resources.files("aioclicksend._generated").joinpath("openapi.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


SPEC = load_spec()


def operation_of(operation: Operation[Any]) -> dict[str, Any]:
    """The spec's own entry for an operation of the table (its examples)."""
    return SPEC["paths"][operation.path][operation.method.lower()]  # type: ignore[no-any-return]


def by_name(operation: Operation[Any]) -> str:
    return operation.name


__all__ = ["OPERATIONS"]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the retry policy's waits instead of sleeping."""
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(aioclicksend._retry, "_sleep", fake_sleep)
    return waited


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def client(sleeps: list[float]) -> AsyncIterator[AsyncClickSend]:
    async with AsyncClickSend(
        USERNAME, API_KEY, base_url=BASE_URL, retry_policy=RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
    ) as cs:
        yield cs


def sent(mock: aioresponses, method: str = "") -> list[Any]:
    """Every request the mock received (optionally of one HTTP method), in order, as (method, url, kwargs)."""
    calls = [
        (key[0], key[1], call.kwargs)
        for key, recorded in mock.requests.items()
        for call in recorded
        if not method or key[0] == method
    ]
    return calls


def sent_json(kwargs: dict[str, Any]) -> Any:
    data = kwargs.get("data")
    return None if data is None else json.loads(data)
