"""Regression tests for a hostile server, odd arguments and cancellation: each reproduces one failure
of the issue "Hostile servers, odd input and cancellation" (its number is in the section title)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import random
import socket
import traceback
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aioclicksend import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncClickSend,
    BadRequestError,
    ClickSendError,
    ClientConfigurationError,
    ClientStateError,
    MissingCredentialsError,
    OutcomeKind,
    PaginationError,
    RedirectError,
    RequestValidationError,
    RetryPolicy,
)
from aioclicksend.bulk.job import _CHECK_CHUNK
from aioclicksend.kazoo import AsyncKazoo
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import SandboxServer

from ..support import serve_on_loopback

API_KEY = "HOSTILE-SECRET-KEY"
FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.002)

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hostile:
    """A server on loopback whose every answer the test chooses; it records what it received."""

    answer: Answer | None = None
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append((request.method, request.raw_path, dict(request.headers), body))
        if self.answer is None:
            return web.json_response({"http_code": 200, "response_code": "SUCCESS", "data": {}})
        return await self.answer(request)

    def client(self, **options: Any) -> AsyncClickSend:
        options.setdefault("retry_policy", FAST)
        return AsyncClickSend("hostile-user", API_KEY, base_url=self.url + "/v3", **options)


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Hostile, Hostile]]:
    """Two hostile servers: two origins (different ports)."""
    runners = []
    pair = (Hostile(), Hostile())
    for hostile in pair:
        hostile.url, runner = await serve_on_loopback(hostile.handle)
        runners.append(runner)
    yield pair
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
def hostile(servers: tuple[Hostile, Hostile]) -> Hostile:
    return servers[0]


def answer_with(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        return web.Response(status=status, body=payload, headers=headers, content_type="application/json")

    return answer


def sms(count: int, start: int = 0) -> Iterator[SmsMessageParam]:
    for index in range(start, start + count):
        yield {"to": "+61411111111", "body": f"message {index}", "custom_string": f"m{index}"}


def sent_answer(request_body: bytes, **entry_overrides: Any) -> dict[str, Any]:
    messages = json.loads(request_body)["messages"]
    entries = [
        {"status": "SUCCESS", "message_price": "0.07", "custom_string": message["custom_string"]}
        | entry_overrides
        for message in messages
    ]
    return {"http_code": 200, "response_code": "SUCCESS", "data": {"total_price": "1", "messages": entries}}


# ---- 1. redirects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirected_send_is_not_followed(hostile: Hostile, status: int) -> None:
    hostile.answer = answer_with(status, {}, {"Location": "/v3/sms/send"})
    async with hostile.client() as cs:
        with pytest.raises(RedirectError) as caught:
            await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
    assert caught.value.status == status and caught.value.location == "/v3/sms/send"
    assert "redirect to /v3/sms/send not followed" in str(caught.value)
    assert len(hostile.received) == 1  # sent once, never repeated by following the redirect


async def test_a_redirect_loop_of_a_get_stops_after_three_hops(hostile: Hostile) -> None:
    hostile.answer = answer_with(307, {}, {"Location": "/v3/account"})
    async with hostile.client() as cs:
        with pytest.raises(RedirectError):
            await cs.account.get()
    assert len(hostile.received) == 4


async def test_a_same_origin_redirect_of_a_get_is_followed(hostile: Hostile) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path == "/v3/account":
            raise web.HTTPFound("/v3/account-moved")
        return web.json_response({"http_code": 200, "data": {"username": "moved"}})

    hostile.answer = answer
    async with hostile.client() as cs:
        account = await cs.account.get()
    assert account.username == "moved"
    assert [path for _, path, _, _ in hostile.received] == ["/v3/account", "/v3/account-moved"]


async def test_a_redirect_to_another_origin_carries_nothing_there(servers: tuple[Hostile, Hostile]) -> None:
    hostile, elsewhere = servers
    hostile.answer = answer_with(307, {}, {"Location": elsewhere.url + "/v3/account"})
    async with hostile.client() as cs:
        with pytest.raises(RedirectError) as caught:
            await cs.account.get()
    assert caught.value.location == elsewhere.url + "/v3/account"
    assert elsewhere.received == []


# ---- 2. bulk cancellation ---------------------------------------------------------------------------------


async def test_closing_a_bulk_job_after_break_finishes(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 2
    job = cs.sms.send_bulk(sms(20), batch_size=1, concurrency=2)
    async for _ in job:
        break
    await asyncio.wait_for(job.aclose(), 5)
    assert job.summary.finished and job.summary.settled == job.summary.handed_out > 0


async def test_bulk_jobs_cancelled_at_200_random_points_settle_every_message(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 2
    draw = random.Random(9)
    for trial in range(200):
        job = cs.sms.send_bulk(sms(40, start=trial * 100), batch_size=draw.choice([1, 5, 10]), concurrency=3)

        async def consume(job: Any = job) -> None:
            async for _ in job:
                await asyncio.sleep(0)  # the loop body awaits: cancellation may land here too

        task = asyncio.create_task(consume())
        await asyncio.sleep(draw.uniform(0, 0.02))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(job.aclose(), 5)
        summary = job.summary
        assert summary.finished and summary.settled == summary.handed_out, (trial, summary)
    assert server.counters.duplicates() == {}


# ---- 3. hostile answers to a bulk send --------------------------------------------------------------------

HOSTILE_ENTRIES: dict[str, Callable[[bytes], Any]] = {
    "custom_string is a list": lambda body: sent_answer(body, custom_string=["a"]),
    "custom_string is a dict": lambda body: sent_answer(body, custom_string={"a": 1}),
    "price sNaN": lambda body: sent_answer(body, message_price="sNaN"),
    "price Infinity": lambda body: sent_answer(body, message_price="Infinity"),
    "price beyond any sum": lambda body: sent_answer(body, message_price="1e999999999"),
    "total_price sNaN": lambda body: sent_answer(body) | {"data": {"total_price": "sNaN", "messages": []}},
    "status is a dict": lambda body: sent_answer(body, status={"x": 1}),
    "entries are strings": lambda body: {"http_code": 200, "data": {"messages": ["x", "y"]}},
    "data is a string": lambda body: {"http_code": 200, "data": "sent"},
    "not JSON": lambda body: b"<html>ok</html>",
}


@pytest.mark.parametrize("concurrency", [1, 3])
@pytest.mark.parametrize("kind", sorted(HOSTILE_ENTRIES))
async def test_any_answer_settles_its_batch(hostile: Hostile, kind: str, concurrency: int) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        data = HOSTILE_ENTRIES[kind](await request.read())
        return web.Response(body=data if isinstance(data, bytes) else json.dumps(data).encode())

    hostile.answer = answer
    async with hostile.client() as cs:
        job = cs.sms.send_bulk(sms(12), batch_size=4, concurrency=concurrency)

        async def every_outcome() -> list[Any]:  # read one by one: each outcome made from its entries
            return [outcome async for outcome in job]

        outcomes = await asyncio.wait_for(every_outcome(), 5)
    summary = job.summary
    assert summary.handed_out == summary.settled == 12 == len({outcome.index for outcome in outcomes})
    assert len(hostile.received) == 3  # each batch sent once
    assert summary.cost.is_finite() and all(outcome.price.is_finite() for outcome in outcomes)


async def test_an_unreadable_answer_leaves_its_messages_unknown_with_the_reason(hostile: Hostile) -> None:
    hostile.answer = answer_with(200, {"http_code": 200, "data": {"messages": [{"custom_string": ["m0"]}]}})
    async with hostile.client() as cs:
        outcomes = [outcome async for outcome in cs.sms.send_bulk(sms(1))]
    assert [outcome.kind for outcome in outcomes] == [OutcomeKind.UNKNOWN]
    assert outcomes[0].reason == "ClickSend answered the batch, but with no entry that matches this message"


# ---- 4. error answers of any shape ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "envelope",
    [
        {"response_code": 401},
        {"response_code": ["A"], "response_msg": {"x": 1}},
        {"response_msg": 3.5},
        [1, 2],
    ],
)
async def test_error_fields_of_any_type_make_our_error(hostile: Hostile, envelope: Any) -> None:
    hostile.answer = answer_with(400, envelope)
    async with hostile.client() as cs:
        with pytest.raises(BadRequestError) as caught:
            await cs.account.get()
    error = caught.value
    assert error.response_code is None or isinstance(error.response_code, str)
    assert error.response_msg is None or isinstance(error.response_msg, str)
    assert str(error).startswith("HTTP 400")


# ---- 5. path parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda cs: cs.contact_lists.delete(list_id=".."), "list_id: must not be '..'"),
        (lambda cs: cs.contact_lists.delete(list_id="."), "list_id: must not be '.'"),
        (lambda cs: cs.contact_lists.delete(list_id="abc"), "list_id: must be a integer, not str 'abc'"),
        (lambda cs: cs.contact_lists.delete(list_id=True), "list_id: must be a integer, not bool True"),
        (lambda cs: cs.sms.cancel(message_id=".."), "message_id: must not be '..'"),
        (lambda cs: cs.sms.cancel(message_id=""), "message_id: must not be empty"),
    ],
)
async def test_path_parameters_stay_in_their_segment_and_type(
    hostile: Hostile, call: Callable[[AsyncClickSend], Awaitable[Any]], problem: str
) -> None:
    async with hostile.client() as cs:
        with pytest.raises(RequestValidationError, match=problem):
            await call(cs)
    assert hostile.received == []


async def test_a_slash_in_a_path_parameter_is_encoded(hostile: Hostile) -> None:
    async with hostile.client() as cs:
        await cs.sms.cancel(message_id="../a/b")
    assert [path for _, path, _, _ in hostile.received] == ["/v3/sms/..%2Fa%2Fb/cancel"]


# ---- 6. answer size ---------------------------------------------------------------------------------------


async def test_an_answer_larger_than_the_limit_is_refused(hostile: Hostile) -> None:
    hostile.answer = answer_with(200, {"http_code": 200, "data": {"padding": "x" * 10_000}})
    async with hostile.client(max_response_size=1000) as cs:
        with pytest.raises(APIResponseValidationError, match=r"larger than max_response_size \(1000 bytes\)"):
            await cs.account.get()


async def test_a_gzip_bomb_is_refused_without_inflating_it(hostile: Hostile) -> None:
    inflated = 32 * 1024 * 1024
    bomb = gzip.compress(b"[" + b" " * inflated + b"]", compresslevel=9)

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    hostile.answer = answer
    async with hostile.client(max_response_size=1024 * 1024) as cs:
        tracemalloc.start()
        try:
            with pytest.raises(APIResponseValidationError, match="larger than max_response_size"):
                await cs.account.get()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while refusing a {inflated}-byte answer"


# ---- 7. endless paging ------------------------------------------------------------------------------------


def contacts_page(current: int, last: int) -> dict[str, Any]:
    return {
        "http_code": 200,
        "data": {
            "current_page": current,
            "last_page": last,
            "total": last * 2,
            "data": [{"contact_id": current}],
        },
    }


async def test_a_last_page_that_keeps_moving_stops_at_max_pages(hostile: Hostile) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        page = int(request.query["page"])
        return web.json_response(contacts_page(page, page + 1))

    hostile.answer = answer
    async with hostile.client() as cs:
        with pytest.raises(PaginationError, match=r"stopped after 5 pages \(max_pages\)"):
            async for _ in cs.contacts.list(list_id=1).items(max_pages=5):
                pass
    assert len(hostile.received) == 5


async def test_prefetch_from_a_server_that_ignores_the_page_stops(hostile: Hostile) -> None:
    hostile.answer = answer_with(200, contacts_page(1, 50))
    async with hostile.client() as cs:
        with pytest.raises(PaginationError, match="asked for page 2, the answer is page 1"):
            async for _ in cs.contacts.list(list_id=1).items(prefetch=8):
                pass
    assert len(hostile.received) <= 1 + 8


async def test_a_cursor_that_keeps_changing_stops_at_max_pages(hostile: Hostile) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        following = f"{request.query.get('offset', '0')}x"
        return web.json_response(
            {"data": [], "_metadata": {"pagination": {"next": f"/v3/alpha-tags?offset={following}"}}}
        )

    hostile.answer = answer
    async with hostile.client() as cs:
        with pytest.raises(PaginationError, match="stopped after 7 pages"):
            async for _ in cs.alpha_tags.list().pages(max_pages=7):
                pass
    assert len(hostile.received) == 7


# ---- 8. credentials ---------------------------------------------------------------------------------------


def _everything_about(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(vars(error))


async def test_no_error_or_cause_carries_the_credentials(servers: tuple[Hostile, Hostile]) -> None:
    hostile, _ = servers
    token = base64.b64encode(f"hostile-user:{API_KEY}".encode()).decode()

    async def reset(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError

    for answer in (reset, answer_with(307, {}, {"Location": "/v3/account"})):
        hostile.answer = answer
        async with hostile.client(max_retries=0) as cs:
            with pytest.raises(ClickSendError) as caught:
                await cs.account.get()
        assert caught.value.__cause__ is None
        text = _everything_about(caught.value)
        assert token not in text and API_KEY not in text


@pytest.mark.parametrize(
    "base_url", ["http://rest.example.com/v3", "http://10.0.0.8/v3", "ftp://x/v3", "nonsense"]
)
def test_insecure_or_odd_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(ClientConfigurationError, match="base_url"):
        AsyncClickSend("user", API_KEY, base_url=base_url)


def test_plain_http_elsewhere_is_allowed_when_asked() -> None:
    client = AsyncClickSend("user", API_KEY, base_url="http://rest.example.com/v3", allow_insecure_http=True)
    assert client.base_url == "http://rest.example.com/v3"


@pytest.mark.parametrize("base_url", ["http://localhost:8080/v3", "http://127.0.0.5/v3", "http://[::1]:9/v3"])
def test_plain_http_to_loopback_is_allowed(base_url: str) -> None:
    assert AsyncClickSend("user", API_KEY, base_url=base_url).base_url == base_url


# ---- 9. odd arguments -------------------------------------------------------------------------------------

ODD_CALLS: dict[str, tuple[Callable[[Any], Awaitable[Any]], str]] = {  # cs: Any, to pass odd types
    "timeout text": (lambda cs: cs.account.get(timeout="abc"), "timeout: must be seconds above 0"),
    "timeout negative": (lambda cs: cs.account.get(timeout=-1), "timeout: must be seconds above 0"),
    "timeout nan": (lambda cs: cs.account.get(timeout=float("nan")), "timeout: must be"),
    "max_retries text": (lambda cs: cs.account.get(max_retries="3"), "max_retries: must be an int"),
    "max_retries bool": (lambda cs: cs.account.get(max_retries=True), "max_retries: must be an int"),
    "header value int": (
        lambda cs: cs.account.get(extra_headers={"X": 1}),
        r"extra_headers\['X'\]: must be a str",
    ),
    "header CRLF": (
        lambda cs: cs.account.get(extra_headers={"X": "a\r\nInjected: 1"}),
        "must not hold a line break",
    ),
    "header name": (lambda cs: cs.account.get(extra_headers={"A B": "x"}), "is not a header name"),
    "headers not a mapping": (lambda cs: cs.account.get(extra_headers=[("X", "y")]), "must be a mapping"),
    "limit text": (lambda cs: cs.contacts.list(list_id=1, limit="5"), "limit: must be a integer"),
    "list_id text": (lambda cs: cs.contacts.list(list_id="abc"), "list_id: must be a integer"),
}


@pytest.mark.parametrize("name", sorted(ODD_CALLS))
async def test_odd_arguments_are_our_errors_and_nothing_is_sent(hostile: Hostile, name: str) -> None:
    call, problem = ODD_CALLS[name]
    async with hostile.client() as cs:
        with pytest.raises(RequestValidationError, match=problem):
            await call(cs)
    assert hostile.received == []


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"timeout": "abc"}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"max_retries": "3"}, "max_retries"),
        ({"connection_limit": 0}, "connection_limit"),
        ({"max_response_size": "big"}, "max_response_size"),
        ({"session": object()}, "session"),
    ],
)
def test_odd_client_settings_are_refused(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ClientConfigurationError, match=problem):
        AsyncClickSend("user", API_KEY, **options)


async def test_a_bulk_job_without_credentials_fails_before_taking_anything(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLICKSEND_USERNAME", raising=False)
    monkeypatch.delenv("CLICKSEND_API_KEY", raising=False)
    taken = []

    def messages() -> Iterator[SmsMessageParam]:
        for message in sms(3):
            taken.append(message)
            yield message

    async with AsyncClickSend(base_url=hostile.url + "/v3") as cs:
        with pytest.raises(MissingCredentialsError, match=r"sms\.send_bulk needs credentials"):
            cs.sms.send_bulk(messages())
    assert taken == [] and hostile.received == []


async def test_invalid_messages_reach_the_reader_without_piling_up(hostile: Hostile) -> None:
    taken = 0

    def invalid() -> Iterator[SmsMessageParam]:
        nonlocal taken
        for _ in range(20 * _CHECK_CHUNK):
            taken += 1
            yield {"to": "+61411111111", "body": ""}

    async with hostile.client() as cs:
        job = cs.sms.send_bulk(invalid())
        async for outcome in job:
            assert outcome.kind is OutcomeKind.INVALID
            break
        taken_at_first_outcome = taken
        await job.aclose()
    assert taken_at_first_outcome <= 4 * _CHECK_CHUNK
    assert hostile.received == []


# ---- 10. lifecycle ----------------------------------------------------------------------------------------


async def test_a_closed_client_refuses_to_send(hostile: Hostile) -> None:
    async with hostile.client() as cs:
        await cs.account.get()
    with pytest.raises(ClientStateError, match="is closed"):
        await cs.account.get()
    assert cs._session is None  # no new session opened behind the caller's back
    with pytest.raises(ClientStateError):
        async with cs:
            pass


def test_a_client_used_across_two_event_loops_says_so() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cs = AsyncClickSend("user", API_KEY, base_url=f"http://127.0.0.1:{port}/v3", max_retries=0)

    async def use() -> None:
        with pytest.raises(APIConnectionError):
            await cs.account.get()
        assert cs._session is not None
        await cs._session.close()  # what a well-behaved loop would do; the client still belongs to this loop

    asyncio.run(use())
    with pytest.raises(ClientStateError, match="event loop it first ran in, which has ended"):
        asyncio.run(cs.account.get())


async def test_proxy_settings_and_pool_size_are_options() -> None:
    async with AsyncClickSend("user", API_KEY, trust_env=True, connection_limit=7) as cs:
        session = cs._get_session()
        assert session.trust_env is True
        assert isinstance(session.connector, aiohttp.TCPConnector) and session.connector.limit == 7


# ---- 11. single sends check what bulk sends check ----------------------------------------------------------


async def test_single_sends_refuse_what_bulk_refuses(hostile: Hostile) -> None:
    async with hostile.client() as cs:
        refused: list[tuple[Any, str]] = [
            ({"to": "+61411111111", "body": ""}, "messages[0]: body: is empty"),
            ({"to": "+61411111111", "body": "ж" * 900}, "messages[0]: body: 900 unicode characters"),
            ({"body": "hi"}, "messages[0]: needs to or list_id"),
            ({"to": 61411111111, "body": "hi"}, "messages[0].to: Input should be a valid string"),
        ]
        for message, problem in refused:
            with pytest.raises(RequestValidationError, match=problem.replace("[", r"\[").replace("]", r"\]")):
                await cs.sms.send(messages=[message])
        assert hostile.received == []
        hostile.answer = answer_with(200, {"http_code": 200, "data": {"messages": []}})
        await cs.sms.send(messages=[{"to": "+61411111111", "body": "ж" * 900}], allow_truncation=True)
    assert len(hostile.received) == 1


# ---- aiohttp's own resend of a PUT or DELETE ------------------------------------------------------------


@pytest.mark.parametrize("own_session", [True, False])
async def test_a_put_that_may_have_been_done_is_never_sent_again(hostile: Hostile, own_session: bool) -> None:
    """aiohttp resends a PUT whose connection drops before the answer; buying credit twice costs money."""

    async def carried_out_then_dropped(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        raise asyncio.CancelledError

    hostile.answer = carried_out_then_dropped
    async with contextlib.AsyncExitStack() as stack:
        session = None if own_session else await stack.enter_async_context(aiohttp.ClientSession())
        cs = await stack.enter_async_context(hostile.client(session=session, max_retries=3))
        with pytest.raises(APIConnectionError) as caught:
            await cs.recharge.purchase(package_id=1)
    assert caught.value.request_sent is True
    assert [(method, path) for method, path, _, _ in hostile.received] == [("PUT", "/v3/recharge/purchase/1")]


# ---- Kazoo's token request goes through the core --------------------------------------------------------


def kazoo_client(hostile: Hostile, **options: Any) -> AsyncKazoo:
    options.setdefault("retry_policy", FAST)
    return AsyncKazoo(base_url=hostile.url + "/v2", account_id="a1", api_key=API_KEY, **options)


async def test_a_token_request_answered_too_late_times_out(hostile: Hostile) -> None:
    async def too_late(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/api_auth"):  # (it was waited for with aiohttp's timeout, not the client's)
            await asyncio.sleep(1)
            return web.json_response({"auth_token": "late", "data": {}})
        return web.json_response({"data": [], "status": "success"})

    hostile.answer = too_late
    async with kazoo_client(hostile, timeout=0.2, max_retries=0) as kazoo:
        with pytest.raises(APITimeoutError):
            await asyncio.wait_for(kazoo.faxes.inbox.list(), 5)


async def test_a_token_request_is_not_redirected_to_another_origin(servers: tuple[Hostile, Hostile]) -> None:
    hostile, elsewhere = servers
    hostile.answer = answer_with(307, {}, {"Location": elsewhere.url + "/v2/api_auth"})
    async with kazoo_client(hostile) as kazoo:
        with pytest.raises(ClickSendError):
            await kazoo.faxes.inbox.list()
    assert [path for _, path, _, _ in hostile.received] == ["/v2/api_auth"]
    assert elsewhere.received == []  # the API key went nowhere else


async def test_a_huge_token_answer_is_refused_before_it_is_read_whole(hostile: Hostile) -> None:
    hostile.answer = answer_with(200, {"auth_token": "t" * 2_000_000, "data": {}})
    async with kazoo_client(hostile, max_response_size=1_000_000) as kazoo:
        with pytest.raises(APIResponseValidationError):
            await kazoo.faxes.inbox.list()
