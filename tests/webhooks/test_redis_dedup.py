"""RedisDedupStore against a real Redis: two receivers (replicas) on one Redis handle a push once, a
duplicate that comes while the push is handled waits for its outcome, a dead receiver's flight lapses."""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from aioclicksend import ClientConfigurationError, ClientStateError, webhooks

from ..redis_server import RedisServer
from .test_webhooks import Gate, aiohttp_server, push


class WatchedStore(webhooks.RedisDedupStore):
    """A Redis store that says when a duplicate starts waiting for its original."""

    def __init__(self, url: str, **settings: Any) -> None:
        super().__init__(url, **settings)
        self.waiting = asyncio.Event()

    async def outcome(self, key: str) -> bool:
        self.waiting.set()
        return await super().outcome(key)


@asynccontextmanager
async def two_replicas(url: str, handler: Gate) -> AsyncIterator[tuple[str, str, WatchedStore]]:
    """Two receivers of ``sms_inbound`` pushes, each with its own store on one Redis (and one prefix of
    this test's): their URLs, and the second's store."""
    prefix = f"test:{uuid.uuid4().hex}:"
    async with (
        WatchedStore(url, prefix=prefix) as first_store,
        WatchedStore(url, prefix=prefix) as second_store,
    ):
        first = webhooks.aiohttp_receiver("sms_inbound", handler, store=first_store)
        second = webhooks.aiohttp_receiver("sms_inbound", handler, store=second_store)
        async with aiohttp_server({"/first": first, "/second": second}) as root:
            yield f"{root}/first", f"{root}/second", second_store


@pytest.mark.parametrize(("failures", "answer"), [(0, (200, "OK")), (1, (500, "Internal Server Error"))])
async def test_a_push_delivered_to_two_replicas_is_handled_once(
    redis_server: RedisServer, failures: int, answer: tuple[int, str]
) -> None:
    handler = Gate(failures)
    async with (
        two_replicas(redis_server.url, handler) as (first, second, second_store),
        aiohttp.ClientSession() as session,
    ):
        original = asyncio.create_task(push(session, first, "sms_inbound", "post"))
        await asyncio.wait_for(handler.entered.wait(), 30)
        duplicate = asyncio.create_task(push(session, second, "sms_inbound", "json"))
        await asyncio.wait_for(second_store.waiting.wait(), 30)
        await asyncio.sleep(0.3)  # a few polls of Redis: the duplicate still waits for the original
        answered_first = duplicate.done()
        handler.release.set()
        assert not answered_first
        assert await original == await duplicate == answer
        assert await push(session, second, "sms_inbound", "get") == (200, "OK")  # ClickSend's next retry
        assert await push(session, first, "sms_inbound", "post") == (200, "OK")
    assert handler.calls == 1 + failures


async def test_a_flight_lapses_after_its_lease_and_only_its_own_receiver_forgets_it(
    redis_server: RedisServer,
) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    async with (
        webhooks.RedisDedupStore(redis_server.url, prefix=prefix, lease=0.5) as dead,
        webhooks.RedisDedupStore(redis_server.url, prefix=prefix, lease=30) as alive,
    ):
        assert await dead.seen("sms_inbound:1") is False  # a receiver takes the push, then dies
        assert await alive.seen("sms_inbound:1") is True
        await asyncio.sleep(1.0)
        assert await alive.seen("sms_inbound:1") is False  # the lease lapsed: ClickSend's retry is handled
        await dead.forget("sms_inbound:1")  # the first comes back to life and fails: not its flight now
        assert await dead.seen("sms_inbound:1") is True
        await alive.done("sms_inbound:1")
        assert await dead.outcome("sms_inbound:1") is True
        assert await alive.outcome("sms_inbound:unknown") is False
    assert isinstance(alive, webhooks.DedupStore)


async def test_an_unreachable_redis_is_a_clear_error_and_the_receiver_answers_500() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    url = f"redis://:hunter2@127.0.0.1:{port}/0"
    handler = Gate()
    handler.release.set()
    async with webhooks.RedisDedupStore(url, timeout=5) as store:
        with pytest.raises(ClientConfigurationError, match=re.escape(f"127.0.0.1:{port}/0 did not answer")):
            await store.check()
        with pytest.raises(
            ClientStateError, match=re.escape(f"RedisDedupStore: Redis at redis://127.0.0.1:{port}/0")
        ) as raised:
            await store.seen("sms_inbound:1")
        assert "hunter2" not in str(raised.value)
        receiver = webhooks.aiohttp_receiver("sms_inbound", handler, store=store)
        async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
            assert await push(session, f"{root}/hook", "sms_inbound", "post") == (
                500,
                "Internal Server Error",
            )
    assert handler.calls == 0  # not handled: ClickSend sends it again


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"ttl": 0}, "ttl must be a positive number of seconds"),
        ({"lease": float("inf")}, "lease must be a positive number of seconds"),
        ({"poll": "1"}, "poll must be a positive number of seconds"),
        ({"prefix": b"x"}, "prefix must be a str, not bytes"),
        ({"timeout": -1}, "timeout must be a positive number of seconds"),
    ],
)
def test_bad_settings_are_refused_by_name(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ClientConfigurationError, match=f"RedisDedupStore: {problem}"):
        webhooks.RedisDedupStore("redis://127.0.0.1:6379/0", **settings)
