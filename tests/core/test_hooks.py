"""Attempt hooks: around every attempt (retries, bulk batches, a token's request), always exited, able to
wait or refuse; the client's ``max_rate``; the README's hooks run against the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import re
import textwrap
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aioclicksend import (
    AsyncClickSend,
    AttemptInfo,
    AttemptRefusedError,
    BadRequestError,
    ClientConfigurationError,
    InternalServerError,
    OutcomeKind,
    RateLimit,
    RateLimitError,
)
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import Faults
from aioclicksend.testing import clicksend_sandbox, kazoo_sandbox

from ..support import API_KEY, BASE_URL, FAST, MockAPI, sent, serve_on_loopback

ROOT = Path(__file__).parent.parent.parent
ACCOUNT_URL = f"{BASE_URL}/account"
SEND_URL = f"{BASE_URL}/sms/send"
OK = {"http_code": 200, "response_code": "SUCCESS", "response_msg": "ok", "data": {"user_id": 7}}
BROKEN = {"http_code": 500, "response_code": "INTERNAL_ERROR", "response_msg": "oops"}
THROTTLED = {"http_code": 429, "response_code": "TOO_MANY_REQUESTS", "response_msg": "slow down"}


@dataclass
class Recorder:
    """A hook that keeps every attempt it wrapped, with the exception (or None) its exit got."""

    seen: list[AttemptInfo] = field(default_factory=list)
    exits: list[BaseException | None] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        self.seen.append(info)
        self.starts.append(time.monotonic())
        try:
            yield
        except BaseException as error:
            self.exits.append(error)
            raise
        self.exits.append(None)


class Refuser:
    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        raise AttemptRefusedError(info.operation.name, "not today")
        yield  # pragma: no cover


class Broken:
    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        raise KeyError("a bug in the hook")
        yield  # pragma: no cover


class Swallower:
    """A hook whose exit says to suppress whatever ended the attempt."""

    def attempt(self, info: AttemptInfo) -> Swallower:
        return self

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> bool:
        return True


def client(*hooks: Any, **settings: Any) -> AsyncClickSend:
    return AsyncClickSend(
        "user", API_KEY, base_url=BASE_URL, retry_policy=FAST, hooks=list(hooks), **settings
    )


async def test_hooks_see_every_attempt_with_its_operation_and_request(mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, status=500, payload=BROKEN)
    mocked.get(ACCOUNT_URL, status=429, payload=THROTTLED, headers={"Retry-After": "0"})
    mocked.get(ACCOUNT_URL, payload=OK)
    outer, inner = Recorder(), Recorder()
    async with client(outer, inner) as cs:
        assert (await cs.account.get(extra_headers={"X-Trace": "t1"})).user_id == 7
    assert len(sent(mocked)) == 3
    for hook in (outer, inner):
        assert [info.number for info in hook.seen] == [1, 2, 3]
        assert [info.status for info in hook.seen] == [500, 429, 200]
        assert [type(error) for error in hook.exits] == [InternalServerError, RateLimitError, type(None)]
    info = inner.seen[1]
    assert info.operation.name == "account.get" and info.retry_after == 0.0
    assert (info.request.method, info.request.url, info.request.body_size) == ("GET", ACCOUNT_URL, 0)
    assert info.request.headers == {"Accept": "application/json", "X-Trace": "t1"}  # no Authorization


async def test_a_hook_sees_the_body_size_and_query_but_never_the_credentials(mocked: MockAPI) -> None:
    mocked.post(SEND_URL, payload={**OK, "data": {"total_count": 1}})
    mocked.get(re.compile(r".*/sms/history.*"), payload={**OK, "data": {"data": [], "total": 0}})
    recorder = Recorder()
    async with client(recorder) as cs:
        await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
        await cs.sms.history.list(q="status:Sent", limit=5)
    sent_body = sent(mocked, "POST")[0][2]["data"]
    send, history = recorder.seen
    assert send.request.body_size == len(sent_body) > 0
    assert "q=status%3ASent" in history.request.url and "limit=5" in history.request.url
    for info in recorder.seen:
        assert API_KEY not in repr(info) and "Authorization" not in info.request.headers


async def test_a_hook_that_refuses_sends_nothing_and_is_not_retried(mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, payload=OK, repeat=True)
    outer = Recorder()
    async with client(outer, Refuser()) as cs:
        with pytest.raises(AttemptRefusedError, match=r"account\.get: attempt refused: not today"):
            await cs.account.get()
    assert sent(mocked) == []
    assert len(outer.seen) == 1 and isinstance(outer.exits[0], AttemptRefusedError)  # exited, not retried


async def test_a_hook_that_fails_refuses_the_attempt_with_our_error(mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, payload=OK, repeat=True)
    async with client(Broken()) as cs:
        with pytest.raises(AttemptRefusedError, match=r"Broken\.attempt failed: KeyError") as refused:
            await cs.account.get()
    assert sent(mocked) == [] and isinstance(refused.value.__cause__, KeyError)


async def test_no_hook_can_swallow_an_error_or_a_refusal(mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, status=400, payload={**BROKEN, "http_code": 400}, repeat=True)
    async with client(Swallower()) as cs:
        with pytest.raises(BadRequestError):  # not a None where the data should be
            await cs.account.get()
    async with client(Swallower(), Refuser()) as cs:
        with pytest.raises(AttemptRefusedError):
            await cs.account.get()
    assert len(sent(mocked)) == 1  # the refused attempt was not sent after all


async def test_a_cancelled_attempt_exits_every_hook_and_gives_its_slot_back() -> None:
    arrivals: list[web.Request] = []
    both_arrived, release = asyncio.Event(), asyncio.Event()

    async def hang(request: web.Request) -> web.StreamResponse:
        arrivals.append(request)
        if len(arrivals) == 2:
            both_arrived.set()
        await release.wait()  # until the test ends: the calls are cancelled while they wait
        return web.json_response(OK)

    url, runner = await serve_on_loopback(hang)
    slots = asyncio.Semaphore(2)

    class InFlight:
        @contextlib.asynccontextmanager
        async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
            async with slots:
                yield

    recorder = Recorder()
    try:
        async with AsyncClickSend("user", API_KEY, base_url=url, hooks=[InFlight(), recorder]) as cs:
            calls = [asyncio.create_task(cs.account.get()) for _ in range(2)]
            await asyncio.wait_for(both_arrived.wait(), 30)
            assert slots.locked()  # both attempts hold a slot
            for call in calls:
                call.cancel()
            results = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        release.set()
        await runner.cleanup()
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    assert [type(error) for error in recorder.exits] == [asyncio.CancelledError] * 2
    assert slots._value == 2  # every slot came back


def test_bad_hooks_and_max_rate_are_refused_by_name() -> None:
    with pytest.raises(ClientConfigurationError) as refused:
        AsyncClickSend("u", "k", hooks=[Recorder(), object()], max_rate=0)  # type: ignore[list-item]
    assert "hooks[1]: object has no attempt(info) method" in str(refused.value)
    assert "max_rate: must be a number of requests a second above 0, or None, not 0" in str(refused.value)
    with pytest.raises(ClientConfigurationError, match="hooks: must be a list of hooks, not Recorder"):
        AsyncClickSend("u", "k", hooks=Recorder())  # type: ignore[arg-type]
    for rate, burst in ((0, 1), (float("nan"), 1), (5, 0), (5, True)):
        with pytest.raises(
            ClientConfigurationError, match=f"RateLimit: rate must be .* not {rate} and {burst}"
        ):
            RateLimit(rate, burst=burst)


async def test_max_rate_paces_single_calls_and_bulk_jobs_together() -> None:
    rate, singles, batches = 10.0, 10, 10
    recorder = Recorder()
    async with clicksend_sandbox(retry_policy=FAST, max_rate=rate, hooks=[recorder]) as (server, cs):
        started = time.monotonic()
        messages: list[SmsMessageParam] = [
            {"to": f"+6141111{index:04d}", "body": "hi"} for index in range(batches)
        ]
        job = cs.sms.send_bulk(messages, batch_size=1, concurrency=4)
        running = asyncio.ensure_future(job)
        await asyncio.gather(*(cs.account.get() for _ in range(singles)))
        summary = await running
        elapsed = time.monotonic() - started
    assert summary.accepted == batches
    assert (
        server.counters.requests["SendSms"] == batches and server.counters.requests["GetAccount"] == singles
    )
    attempts = singles + batches
    assert len(recorder.seen) == attempts
    # A token a tenth of a second, one at first: the last attempt starts 1.9 s after the first at the
    # earliest, however slow the machine (a slow one only spaces them more).
    assert recorder.starts[-1] - recorder.starts[0] >= (attempts - 1) / rate - 0.05
    assert elapsed < 60


async def test_a_shared_rate_limit_hook_paces_two_clients() -> None:
    shared, recorder = RateLimit(20), Recorder()
    async with (
        clicksend_sandbox(hooks=[shared, recorder]) as (_, first),
        AsyncClickSend("me", "key", base_url=first.base_url, hooks=[shared, recorder]) as second,
    ):
        await asyncio.gather(*(cs.account.get() for cs in (first, second) for _ in range(5)))
    assert recorder.starts[-1] - recorder.starts[0] >= 9 / 20 - 0.05


async def test_the_bulk_pace_still_adapts_to_429s_and_hooks_see_them() -> None:
    recorder = Recorder()
    faults = Faults(rate_limit=6)
    async with clicksend_sandbox(faults=faults, retry_policy=FAST, hooks=[recorder]) as (server, cs):
        messages: list[SmsMessageParam] = [
            {"to": f"+6141111{index:04d}", "body": "hi"} for index in range(30)
        ]
        summary = await cs.sms.send_bulk(messages, batch_size=1, concurrency=6, max_retries=30)
    assert summary.accepted == 30 and server.counters.duplicates() == {}
    assert summary.throttled == server.counters.rate_limited > 0
    assert summary.rate_limit is not None and summary.rate_limit < 10  # slowed to about the server's pace
    throttled = [info for info in recorder.seen if info.status == 429]
    assert len(throttled) == summary.throttled and all(info.retry_after is not None for info in throttled)


async def test_a_refused_bulk_batch_is_not_sent() -> None:
    async with clicksend_sandbox(hooks=[Refuser()]) as (server, cs):
        job = cs.sms.send_bulk([{"to": "+61411111111", "body": "hi"}])
        outcomes = [outcome async for outcome in job]
    assert [outcome.kind for outcome in outcomes] == [OutcomeKind.NOT_SENT]
    assert (
        "attempt refused: not today" in (outcomes[0].reason or "")
        and server.counters.requests["SendSms"] == 0
    )


async def test_the_kazoo_token_request_goes_through_the_hooks_without_its_key() -> None:
    recorder = Recorder()
    async with kazoo_sandbox(hooks=[recorder]) as (_, kazoo):
        await kazoo.faxes.outgoing.list()
    names = [info.operation.name for info in recorder.seen]
    assert names[0] == "kazoo.api_auth" and len(names) == 2 and recorder.exits == [None, None]
    for info in recorder.seen:
        assert "X-Auth-Token" not in info.request.headers and "sandbox-kazoo-key" not in repr(info)


def readme_snippet(needle: str) -> str:
    """The README's Python block that holds ``needle``."""
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", (ROOT / "README.md").read_text(), re.M | re.S)
    (found,) = [textwrap.dedent(code) for _, code in blocks if needle in code]
    return found


async def test_the_readmes_hooks_limit_pause_and_refuse() -> None:
    names: dict[str, Any] = {"username": "me", "api_key": "key"}
    exec(readme_snippet("class InFlightLimit"), names)
    assert names["cs"].hooks[0].rate == 20  # max_rate's token bucket, outermost
    in_flight, paused, budget = names["InFlightLimit"](2), names["PauseOn429"](), names["Budget"](8)
    recorder = Recorder()
    hooks = [in_flight, paused, budget, recorder]
    faults = Faults(rate_limit=1)  # one request a second: the calls after the first are answered 429
    async with clicksend_sandbox(faults=faults, retry_policy=FAST, max_retries=20, hooks=hooks) as (_, cs):
        results = await asyncio.gather(*(cs.account.get() for _ in range(6)), return_exceptions=True)
    assert in_flight.slots._value == 2  # every slot came back
    refused = [result for result in results if isinstance(result, AttemptRefusedError)]
    assert len(recorder.seen) == 8 and refused  # the budget of 8 attempts ran out; nothing went after
    throttled = [info for info in recorder.seen if info.status == 429]
    assert throttled and paused.resume_at > 0  # a 429 set the pause
