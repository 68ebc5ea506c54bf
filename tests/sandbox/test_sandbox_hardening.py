"""The sandbox under hostile or careless use: deep JSON, unbounded state, slow connections, its own
control endpoints, restricted accounts, fault settings changed at run time, and its request log."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from aioclicksend import AsyncClickSend, AuthenticationError, PermissionDeniedError
from aioclicksend.sandbox import Faults, SandboxServer
from aioclicksend.sandbox.__main__ import parse_arguments
from aioclicksend.sandbox._faults import RateLimiter
from aioclicksend.sandbox._validation import MAX_JSON_DEPTH, _nested_deeper_than
from aioclicksend.testing import clicksend_sandbox

AUTH = {"Authorization": "Basic " + base64.b64encode(b"user:key").decode()}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as running:
        yield running


def root(server: SandboxServer) -> str:
    return f"http://{server.host}:{server.port}"


# --- 1. deeply nested JSON -------------------------------------------------------------------------------


async def test_deeply_nested_body_gets_a_400_envelope(server: SandboxServer) -> None:
    bodies = [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"messages": ' + b"[" * 100_000,  # not even closed: refused before parsing all the same
        b'{"messages": [' + b'{"a": ' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH + b"]}",
    ]
    async with aiohttp.ClientSession(headers=AUTH) as session:
        for body in bodies:
            async with session.post(
                f"{server.base_url}/sms/send", data=body, headers={"Content-Type": "application/json"}
            ) as response:
                answer = await response.json()
            assert response.status == 400
            assert answer == {
                "http_code": 400,
                "response_code": "BAD_REQUEST",
                "response_msg": f"the request body is nested too deeply (over {MAX_JSON_DEPTH} levels)",
                "data": None,
            }
        brackets_in_a_string = {"messages": [{"to": "+61411111111", "body": "[{" * 500}]}
        async with session.post(f"{server.base_url}/sms/send", json=brackets_in_a_string) as response:
            assert response.status == 200
    assert server.counters.answered == {400: 3, 200: 1}


def test_nesting_depth_skips_strings_and_their_escapes() -> None:
    assert not _nested_deeper_than(2, b'{"a": ["x\\"[[[[", "]]{{\\\\"]}')
    assert _nested_deeper_than(2, b'{"a": [{"b": "\\""}]}')
    assert not _nested_deeper_than(MAX_JSON_DEPTH, b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert _nested_deeper_than(MAX_JSON_DEPTH, b"[" * (MAX_JSON_DEPTH + 1))
    assert not _nested_deeper_than(1, b'"' + b"\\[" * 1000)  # an unterminated string hides the rest


async def test_a_lone_surrogate_is_refused_naming_where_it_is(server: SandboxServer) -> None:
    """Half of a UTF-16 pair, escaped in JSON, is no text: no part count or answer can be made of it."""
    bodies = {
        '{"messages": [{"to": "+61411111111", "body": "hi \\ud800 there"}]}': "messages[0].body",
        '{"messages": [{"to": "+61411111111", "body": "\\udc00"}]}': "messages[0].body",
        '{"messages": [{"to": "+61411111111", "\\udbff": "x"}]}': "a key of messages[0]",
    }
    async with aiohttp.ClientSession(headers={**AUTH, **JSON}) as session:
        for body, where in bodies.items():
            async with session.post(f"{server.base_url}/sms/send", data=body) as response:
                answer = await response.json()
            assert (response.status, answer["response_msg"]) == (
                400,
                f"{where}: not text (a lone UTF-16 surrogate)",
            )
        paired = '{"messages": [{"to": "+61411111111", "body": "\\ud83d\\ude00 \\\\ud800"}]}'
        async with session.post(f"{server.base_url}/sms/send", data=paired) as response:
            sent = await response.json()
    assert response.status == 200 and sent["data"]["messages"][0]["body"] == "\U0001f600 \\ud800"


# --- 2. reads store nothing ----------------------------------------------------------------------------------


async def test_reads_and_failed_lookups_store_nothing(server: SandboxServer) -> None:
    store = server.state.store
    async with aiohttp.ClientSession(headers=AUTH) as session:

        async def status(method: str, path: str, body: dict[str, str] | None = None) -> int:
            async with session.request(method, server.base_url + path, json=body or {}) as response:
                return response.status

        assert await status("POST", "/lists", {"list_name": "Kept"}) == 200
        assert list(store.collections) == ["/lists"]
        for first in range(0, 2000, 200):
            statuses = await asyncio.gather(
                *(status("GET", f"/lists/{list_id}/contacts") for list_id in range(first, first + 100)),
                *(status("GET", f"/lists/{list_id}/contacts/5") for list_id in range(first, first + 100)),
            )
            assert set(statuses) == {200, 404}
        for method, path in [
            ("PUT", "/lists/77/contacts/5"),
            ("DELETE", "/lists/77/contacts/5"),
            ("PUT", "/lists/77/contacts/5/transfer/78"),
            ("GET", "/sms/history"),
            ("GET", "/sms/receipts"),
            ("GET", "/sms/receipts/NO-SUCH-ID"),
            ("GET", "/sms/inbound"),
            ("GET", "/sms/inbound/NO-SUCH-ID"),
            ("PUT", "/sms/cancel-all"),
            ("PUT", "/sms/NO-SUCH-ID/cancel"),
        ]:
            assert await status(method, path) in (200, 404)
    assert list(store.collections) == ["/lists"]
    assert (store.history, store.inbound) == ({}, [])


# --- 3. rate limiter buckets -----------------------------------------------------------------------------------


def test_rate_limiter_forgets_buckets_once_full_again() -> None:
    limiter = RateLimiter()
    for number in range(100_000):
        assert limiter.acquire(f"user-{number}", rate=5, now=0.0) == 0.0
    assert len(limiter) == 100_000
    for _ in range(4):
        limiter.acquire("busy", rate=5, now=0.5)
    assert limiter.acquire("busy", rate=5, now=0.5) == 0.0  # 5 in the bucket, 5 taken
    assert limiter.acquire("busy", rate=5, now=0.5) == pytest.approx(0.2)
    assert len(limiter) == 100_001
    assert limiter.acquire("late", rate=5, now=1.0) == 0.0  # a refill time later: the full ones are forgotten
    assert len(limiter) == 2  # "busy" (refilled only half way) and "late"
    assert limiter.acquire("busy", rate=5, now=1.0) == 0.0
    assert limiter.acquire("busy", rate=5, now=2.5) == 0.0
    assert len(limiter) == 1


# --- 4. slow and silent connections ------------------------------------------------------------------------


async def _answer(reader: asyncio.StreamReader) -> int:
    """Reads one HTTP answer; its status."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(
        int(line.split(":", 1)[1])
        for line in head.split("\r\n")
        if line.lower().startswith("content-length:")
    )
    await reader.readexactly(length)
    return int(head.split()[1])


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> float:
    """Waits for the server to close the connection; how long that took."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await asyncio.wait_for(reader.read(), seconds) == b""
    return loop.time() - began


async def test_a_silent_connection_is_closed_after_the_keepalive_timeout() -> None:
    async with SandboxServer(keepalive_timeout=0.3, read_timeout=30) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        assert 0.1 < await _closed_within(reader, 5) < 3
        writer.close()


@pytest.mark.parametrize(
    ("complete", "trickled"),
    [
        (b"", b"GET /v3/account HTTP/1.1\r\nHost: sandbox\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"),
        (
            b"PUT /_sandbox/faults HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n",
            b" " * 200,
        ),
    ],
    ids=["head", "body"],
)
async def test_a_request_trickled_in_is_cut_off_after_the_read_timeout(
    complete: bytes, trickled: bytes
) -> None:
    async with SandboxServer(keepalive_timeout=30, read_timeout=0.3) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(complete)

        async def trickle() -> None:
            for byte in trickled:
                writer.write(bytes([byte]))
                await asyncio.sleep(0.02)  # 4 s for the whole request

        trickling = asyncio.create_task(trickle())
        try:
            assert await _closed_within(reader, 5) < 2
            assert not trickling.done()
        finally:
            trickling.cancel()
            writer.close()
    assert server.faults.settings() == Faults().settings()  # the trickled PUT was never carried out


async def test_an_idle_keepalive_connection_outlives_the_read_timeout() -> None:
    async with SandboxServer(keepalive_timeout=1.0, read_timeout=0.2) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        body = b'{"latency_ms": 0}'
        put = (
            b"PUT /_sandbox/faults HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        get = b"GET /_sandbox/counters HTTP/1.1\r\nHost: sandbox\r\n\r\n"
        for request in (put, get, put):
            writer.write(request)
            assert await _answer(reader) == 200
            await asyncio.sleep(0.4)  # idle twice as long as the read timeout
        assert await _closed_within(reader, 5) < 3  # then the keepalive timeout closes it
        writer.close()


# --- 5. counters and faults over HTTP ------------------------------------------------------------------------


async def test_counters_over_http(server: SandboxServer) -> None:
    message = {"messages": [{"to": "+61411111111", "body": "hi", "custom_string": "twice"}]}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(f"{server.base_url}/sms/send", json=message, headers=AUTH) as response:
                assert response.status == 200
        async with session.get(f"{server.base_url}/account") as response:
            assert response.status == 401
        async with session.get(f"{root(server)}/_sandbox/counters") as response:
            counters = await response.json()
        assert counters == {
            "requests": {"SendSms": 2, "GetAccount": 1},
            "answered": {"200": 2, "401": 1},
            "rate_limited": 0,
            "injected_errors": 0,
            "dropped": 0,
            "spiked": 0,
            "deliveries": 2,
            "duplicates": [{"channel": "sms", "key": "twice", "count": 2}],
        }
        held = server.counters
        async with session.post(f"{root(server)}/_sandbox/counters/reset", headers=JSON) as response:
            assert response.status == 200
            assert (await response.json())["requests"] == {}
        async with session.get(f"{root(server)}/_sandbox/counters") as response:
            assert (await response.json())["deliveries"] == 0
    assert held is server.counters and held.duplicates() == {} and not held.answered


async def test_faults_over_http(server: SandboxServer) -> None:
    faults_url = f"{root(server)}/_sandbox/faults"
    async with aiohttp.ClientSession() as session:
        async with session.get(faults_url) as response:
            assert await response.json() == Faults().settings()
        for change, message in [
            ({"error_rate": 2}, "error_rate must be between 0 and 1, not 2"),
            ({"latency_ms": 5, "rate_limit": 0}, "rate_limit must be positive, not 0"),
            ({"spike_ms": "slow"}, "spike_ms must be a finite number, not 'slow'"),
            ({"seed": 1.5}, "seed must be an integer or None, not 1.5"),
            ({"error_rat": 0.5}, "error_rat: not a fault setting"),
        ]:
            async with session.put(faults_url, json=change) as response:
                assert response.status == 400
                assert (await response.json())["response_msg"] == message
        assert server.faults.settings() == Faults().settings()  # nothing of a refused change is kept

        async with session.put(faults_url, json={"error_rate": 1.0, "seed": 4}) as response:
            assert (await response.json())["error_rate"] == 1.0
        assert server.faults.error_rate == 1.0 and server.faults.seed == 4
        async with session.get(f"{server.base_url}/account", headers=AUTH) as response:
            assert response.status in (500, 502, 503)
        async with session.get(f"{root(server)}/_sandbox/counters") as response:
            assert (await response.json())["injected_errors"] == 1  # the sandbox's own endpoints are spared


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", "/_sandbox/counters/reset", {"Content-Type": "text/plain"}, b""),
        ("POST", "/_sandbox/counters/reset", {}, b""),
        ("PUT", "/_sandbox/faults", {"Content-Type": "text/plain"}, b'{"error_rate": 1}'),
        ("PUT", "/_sandbox/faults", {"Content-Type": "application/x-www-form-urlencoded"}, b"error_rate=1"),
        ("PUT", "/_sandbox/faults", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
    ],
)
async def test_a_write_to_the_sandboxs_own_endpoints_must_be_json(
    server: SandboxServer, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    """A page of another site can make a browser send these without asking (CSRF); not JSON."""
    server.counters.requests["SendSms"] = 1
    async with (
        aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as session,
        session.request(method, root(server) + path, headers=headers, data=body) as response,
    ):
        assert response.status == 415
        answer = await response.json()
    assert (answer["response_code"], answer["response_msg"]) == (
        "UNSUPPORTED_MEDIA_TYPE",
        f"Content-Type: must be application/json, not {headers.get('Content-Type', 'none')!r}",
    )
    assert server.counters.requests == {"SendSms": 1} and server.faults.settings() == Faults().settings()


async def test_a_json_write_may_name_its_charset(server: SandboxServer) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{root(server)}/_sandbox/faults", data=b'{"latency_ms": 1}', headers=headers
        ) as response,
    ):
        assert response.status == 200
    assert server.faults.latency_ms == 1


# --- 6. restricted accounts ----------------------------------------------------------------------------------


async def test_only_the_given_accounts_are_accepted() -> None:
    accounts = {"ann": "key-1", "bob": "key-2"}
    async with clicksend_sandbox(accounts=accounts, username="ann", api_key="key-1", max_retries=0) as (
        server,
        cs,
    ):
        await cs.account.get()
        for username, api_key in [("ann", "key-2"), ("ann", "key-10"), ("carl", "key-1"), ("nocredit", "x")]:
            async with AsyncClickSend(username, api_key, base_url=server.base_url, max_retries=0) as other:
                with pytest.raises(AuthenticationError) as caught:
                    await other.account.get()
                assert caught.value.response_code == "INVALID_CREDENTIALS"
        async with AsyncClickSend("bob", "key-2", base_url=server.base_url) as bob:
            await bob.account.get()


async def test_test_accounts_still_answer_when_accounts_are_not_restricted(server: SandboxServer) -> None:
    async with AsyncClickSend("banned", "any", base_url=server.base_url, max_retries=0) as cs:
        with pytest.raises(PermissionDeniedError, match="ACCOUNT_BANNED"):
            await cs.account.get()


def test_accounts_on_the_command_line() -> None:
    assert parse_arguments([]).accounts is None
    assert parse_arguments(["--accounts", "ann:key-1,bob:k:2"]).accounts == {"ann": "key-1", "bob": "k:2"}
    with pytest.raises(SystemExit):
        parse_arguments(["--accounts", "ann"])
    arguments = parse_arguments(["--read-timeout", "2", "--keepalive-timeout", "30"])
    assert (arguments.read_timeout, arguments.keepalive_timeout) == (2.0, 30.0)


# --- 7. fault settings changed at run time ---------------------------------------------------------------------


def test_setting_the_seed_later_restarts_the_draws() -> None:
    first, second = Faults(), Faults(seed=99)
    first.seed = second.seed = 7
    draws = [first.draw(0.5) for _ in range(50)], [first.error_status() for _ in range(20)]
    assert draws == ([second.draw(0.5) for _ in range(50)], [second.error_status() for _ in range(20)])
    reference = Faults(seed=7)
    assert draws == ([reference.draw(0.5) for _ in range(50)], [reference.error_status() for _ in range(20)])
    first.seed = 7
    assert [first.draw(0.5) for _ in range(50)] == draws[0]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("error_rate", 1.5, "error_rate must be between 0 and 1, not 1.5"),
        ("drop_rate", -0.1, "drop_rate must be between 0 and 1, not -0.1"),
        ("rate_limit", 0, "rate_limit must be positive, not 0"),
        ("latency_ms", float("nan"), "latency_ms must be a finite number, not nan"),
    ],
)
def test_fault_values_are_checked_when_changed(name: str, value: float, message: str) -> None:
    faults = Faults()
    with pytest.raises(ValueError, match=f"^{message}$"):
        setattr(faults, name, value)
    with pytest.raises(ValueError, match=f"^{message}$"):
        Faults(**{name: value})  # type: ignore[arg-type]
    assert faults == Faults()
    assert json.dumps(faults.settings())  # still plain JSON


def test_fault_flags_come_from_the_faults_fields() -> None:
    defaults = parse_arguments([])
    assert {name: getattr(defaults, name) for name in Faults().settings()} == Faults().settings()
    given = parse_arguments(["--rate-limit", "2.5", "--seed", "7", "--spike-ms", "30", "--log"])
    assert (given.rate_limit, given.seed, given.spike_ms, given.log) == (2.5, 7, 30.0, True)
    with pytest.raises(SystemExit):
        parse_arguments(["--seed", "1.5"])  # the field is an int


# --- 8. the request log ------------------------------------------------------------------------------------


async def test_requests_are_logged_without_credentials_or_bodies(
    server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aioclicksend.sandbox")
    message = {"messages": [{"to": "+61411111111", "body": "private words"}]}
    async with aiohttp.ClientSession(headers=AUTH) as session:
        async with session.post(f"{server.base_url}/sms/send?token=hidden", json=message) as response:
            assert response.status == 200
        async with session.get(f"{server.base_url}/lists/abc") as response:
            assert response.status == 400
        async with session.get(f"{root(server)}/_sandbox/counters") as response:
            assert response.status == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "aioclicksend.sandbox"]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "POST /v3/sms/send 200",
        "GET /v3/lists/abc 400",
        "GET /_sandbox/counters 200",
    ]
    assert all(re.fullmatch(r"\S+ \S+ \d{3} \d+\.\d ms", line) for line in lines)
    credentials = AUTH["Authorization"].split()[1]
    assert not any(secret in line for line in lines for secret in ("private", "hidden", credentials))
