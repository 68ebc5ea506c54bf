"""RedisThrottle against a real Redis and the sandbox: one pace for every client of an account, 429s that
slow them all, a clear error when Redis is not there at start, the local pace while it is down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio

from aioclicksend import AsyncClickSend, AttemptInfo, ClientConfigurationError, RateLimitError
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import Faults
from aioclicksend.testing import clicksend_sandbox
from aioclicksend.throttle import RedisThrottle

from ..core.test_hooks import Recorder
from ..redis_server import RedisServer
from ..support import FAST


def unused_url(password: str = "") -> str:
    """The URL of a Redis that is not there (a loopback port nothing listens on)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"redis://:{password}@127.0.0.1:{port}/0" if password else f"redis://127.0.0.1:{port}/0"


def account() -> str:
    """A key of its own for each test: the server is shared by the session."""
    return f"user-{uuid.uuid4().hex}"


def second_client(base_url: str, *hooks: Any, **settings: Any) -> AsyncClickSend:
    """Another client of the sandbox's account (its default credentials), as another worker's."""
    return AsyncClickSend("sandbox-user", "sandbox-key", base_url=base_url, hooks=list(hooks), **settings)


async def test_two_clients_sharing_a_key_share_one_pace(redis_server: RedisServer) -> None:
    key, rate, calls = account(), 5.0, 6
    recorder = Recorder()  # inside the throttles: it sees when each attempt leaves
    async with (
        RedisThrottle(redis_server.url, key=key, rate=rate) as first_throttle,
        RedisThrottle(redis_server.url, key=key, rate=rate) as second_throttle,
        clicksend_sandbox(faults=Faults(rate_limit=10), hooks=[first_throttle, recorder]) as (server, first),
        second_client(first.base_url, second_throttle, recorder) as second,
    ):
        await asyncio.gather(*(cs.account.get() for cs in (first, second) for _ in range(calls)))
    assert len(recorder.starts) == 2 * calls and server.counters.rate_limited == 0
    # One token a fifth of a second for both: the last of the 12 attempts leaves 2.2 s after the first at
    # the earliest (each client pacing itself alone would take 1 s).
    starts = sorted(recorder.starts)
    assert starts[-1] - starts[0] >= (2 * calls - 1) / rate - 0.05


async def test_a_429_seen_by_one_client_holds_the_other_back(redis_server: RedisServer) -> None:
    key = account()
    first_seen, second_seen = Recorder(), Recorder()
    faults = Faults(rate_limit=1)  # one request a second for the account; a 429 asks to wait 1 s
    async with (
        RedisThrottle(redis_server.url, key=key) as first_throttle,
        RedisThrottle(redis_server.url, key=key) as second_throttle,
        clicksend_sandbox(faults=faults, max_retries=0, hooks=[first_throttle, first_seen]) as (
            _,
            first,
        ),
        second_client(first.base_url, second_throttle, second_seen, retry_policy=FAST) as second,
    ):
        # One after the other, so that nothing of the first client's reaches the account after its 429 (a
        # third attempt held back by the pause would take the slot the second client is to wait for).
        await first.account.get()
        with pytest.raises(RateLimitError):
            await first.account.get()
        assert [info.status for info in first_seen.seen] == [200, 429]
        answered_429 = first_seen.starts[1]
        await second.account.get()
    assert [info.status for info in second_seen.seen] == [200]
    assert second_seen.starts[0] - answered_429 >= 1.0 - 0.05  # it waited out the first client's Retry-After
    assert second_throttle.shared_rate is not None and 0.5 <= second_throttle.shared_rate <= 1.5  # halved


async def test_an_unreachable_redis_at_start_is_a_clear_error_without_the_password() -> None:
    url = unused_url(password="hunter2")
    address = url.replace(":hunter2@", "")
    async with RedisThrottle(url, key="me", timeout=5) as throttle:
        with pytest.raises(
            ClientConfigurationError, match=re.escape(f"RedisThrottle: Redis at {address} did not answer")
        ):
            await throttle.check()
        async with clicksend_sandbox(hooks=[throttle]) as (server, cs):
            with pytest.raises(ClientConfigurationError) as raised:
                await cs.account.get()
    assert "hunter2" not in str(raised.value) and address in str(raised.value)
    assert sum(server.counters.requests.values()) == 0


class RedisOutage:
    """An attempt hook that kills Redis before the attempt numbered ``kill_at`` and starts it again
    before ``restart_at``."""

    def __init__(self, server: RedisServer, kill_at: int, restart_at: int) -> None:
        self.server, self.kill_at, self.restart_at = server, kill_at, restart_at
        self.attempts = 0

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        self.attempts += 1
        if self.attempts == self.kill_at:
            self.server.kill()
        elif self.attempts == self.restart_at:
            self.server.start()
        yield


async def test_redis_down_mid_job_paces_locally_and_every_message_goes_once(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[SmsMessageParam] = [{"to": f"+6141111{index:04d}", "body": "hi"} for index in range(100)]
    outage = RedisOutage(redis_server, kill_at=15, restart_at=40)
    try:
        async with (
            RedisThrottle(redis_server.url, key=account(), rate=20) as throttle,
            clicksend_sandbox(retry_policy=FAST, hooks=[outage, throttle]) as (server, cs),
        ):
            with caplog.at_level(logging.INFO, logger="aioclicksend"):
                started = time.monotonic()
                summary = await cs.sms.send_bulk(messages, batch_size=1, concurrency=2)
                elapsed = time.monotonic() - started
            async with redis.asyncio.Redis.from_url(redis_server.url) as check:
                back_in_redis = await check.exists(throttle.redis_key)
    finally:
        if outage.attempts < outage.restart_at:  # the job stopped early: the next tests need Redis
            redis_server.start()
    assert summary.accepted == 100 and server.counters.deliveries.total() == 100
    assert server.counters.duplicates() == {}
    (warning,) = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warning.startswith(f"RedisThrottle: Redis at {redis_server.url} did not answer: ConnectionError")
    assert warning.endswith("pacing this process alone until it does")
    assert "answers again; the pace is shared again" in caplog.text and back_in_redis == 1
    # 100 attempts at 20 a second, shared or local: 4.75 s at least (at each switch, the slots the two
    # workers had taken from one pace may overlap the other's first), and no hang while Redis is away.
    assert (99 - 2 * 2) / 20 <= elapsed < 120


async def test_the_key_is_hashed_and_bad_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLICKSEND_USERNAME", "alice@example.com")
    async with RedisThrottle("redis://127.0.0.1:1/0") as throttle:
        assert "alice" not in throttle.redis_key and throttle.redis_key.startswith("aioclicksend:throttle:")
    monkeypatch.delenv("CLICKSEND_USERNAME")
    with pytest.raises(ClientConfigurationError, match=r"key must name the account .* CLICKSEND_USERNAME"):
        RedisThrottle("redis://127.0.0.1:1/0")
    for rate in (0, -1, float("nan"), "20", True):
        with pytest.raises(ClientConfigurationError, match=r"rate must be a number of attempts a second"):
            RedisThrottle("redis://127.0.0.1:1/0", key="me", rate=rate)  # type: ignore[arg-type]
    for url in ("http://127.0.0.1:6379", "redis://[::1", 6379):
        with pytest.raises(
            ClientConfigurationError, match=r"url must be a redis://, rediss:// or unix:// URL"
        ):
            RedisThrottle(url, key="me")  # type: ignore[arg-type]
    with pytest.raises(ClientConfigurationError, match="timeout must be a positive number of seconds"):
        RedisThrottle("redis://127.0.0.1:1/0", key="me", timeout=0)


def test_without_redis_py_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(
        ClientConfigurationError, match=r"needs redis-py: pip install 'aioclicksend\[redis\]'"
    ):
        RedisThrottle("redis://127.0.0.1:6379/0", key="me")
