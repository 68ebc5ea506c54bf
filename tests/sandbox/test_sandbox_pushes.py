"""The sandbox pushes inbound SMS and delivery receipts to URL rules, to a real receiver on a loopback port."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import pytest
from aiohttp import web

from aioclicksend import AsyncClickSend, ClientConfigurationError, webhooks
from aioclicksend._core.client import is_loopback
from aioclicksend.models import InboundSmsPush, SmsReceiptPush
from aioclicksend.sandbox import PushAttempt, SandboxServer, _pushes
from aioclicksend.sandbox._pushes import DEFAULT_RECEIPT_DELAY
from examples import webhook_app

Sandbox = tuple[SandboxServer, AsyncClickSend]
RECEIVED: tuple[webhooks.Kind, ...] = ("sms_inbound", "sms_receipt")


class Receiver:
    """A loopback web app with a receiver per kind of push, recording what its handlers got."""

    def __init__(self, base_url: str, failures: int) -> None:
        self.base_url = base_url
        self.failures = failures
        """How many requests to answer 500 before handling any."""
        self.received: list[Any] = []

    def url(self, kind: str) -> str:
        return f"{self.base_url}/{kind}"

    async def handle(self, push: Any) -> None:
        self.received.append(push)

    @web.middleware
    async def fail_first(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.failures:
            self.failures -= 1
            return web.Response(status=500, text="not yet")
        response: web.StreamResponse = await handler(request)
        return response


@asynccontextmanager
async def receiver(failures: int = 0) -> AsyncIterator[Receiver]:
    listener = socket.create_server(("127.0.0.1", 0))
    got = Receiver(f"http://127.0.0.1:{listener.getsockname()[1]}", failures)
    app = web.Application(middlewares=[got.fail_first])
    for kind in RECEIVED:
        app.router.add_route("*", f"/{kind}", webhooks.aiohttp_receiver(kind, got.handle))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, listener).start()
    try:
        yield got
    finally:
        await runner.cleanup()


@pytest.fixture
async def sandbox(sandbox: Sandbox) -> Sandbox:
    """The shared sandbox, pushing receipts as soon as their message is due (the delay is tested alone)."""
    sandbox[0].pushes.receipt_delay = 0
    return sandbox


async def test_a_receipt_is_pushed_a_second_after_its_message_by_default(sandbox: Sandbox) -> None:
    server, cs = sandbox
    server.pushes.receipt_delay = DEFAULT_RECEIPT_DELAY
    async with receiver() as got:
        await cs.automations.sms_receipts.create(
            rule_name="hook", match_type=0, action="URL", action_address=got.url("sms_receipt"), enabled=1
        )
        sent_at = time.monotonic()
        await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
        await asyncio.sleep(DEFAULT_RECEIPT_DELAY / 2)
        assert server.pushes.attempts == [] and got.received == []
        await first_attempt(server)
        assert await settled(server) and len(got.received) == 1
        assert DEFAULT_RECEIPT_DELAY / 2 <= time.monotonic() - sent_at < DEFAULT_RECEIPT_DELAY + 2


async def settled(server: SandboxServer) -> list[PushAttempt]:
    await asyncio.wait_for(server.pushes.settled(), 3)
    return server.pushes.attempts


async def first_attempt(server: SandboxServer) -> None:
    async def attempted() -> None:
        while not server.pushes.attempts:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(attempted(), 3)


async def test_a_sent_sms_is_receipted_to_a_url_rule(sandbox: Sandbox) -> None:
    server, cs = sandbox
    async with receiver() as got:
        url = got.url("sms_receipt")
        await cs.automations.sms_receipts.create(
            rule_name="hook", match_type=0, action="URL", action_address=url, enabled=1
        )
        await cs.automations.sms_receipts.create(
            rule_name="off", match_type=0, action="URL", action_address=url + "?off", enabled=0
        )
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi", "custom_string": "c1"}])
        assert [(a.url, a.kind, a.attempt, a.status) for a in await settled(server)] == [
            (url, "sms_receipt", 1, 200)
        ]
    [push] = got.received
    assert isinstance(push, SmsReceiptPush)
    assert (push.message_id, push.status, push.custom_string) == (
        (sent.messages or [])[0].message_id,
        "Delivered",
        "c1",
    )


async def test_a_number_that_reaches_no_handset_is_accepted_and_receipted_undelivered(
    sandbox: Sandbox,
) -> None:
    """Numbers set aside for fiction are well formed: ClickSend queues the message, the receipt fails."""
    server, cs = sandbox
    fictional = ["+61491570006", "+12025550123"]
    async with receiver() as got:
        await cs.automations.sms_receipts.create(
            rule_name="hook", match_type=0, action="URL", action_address=got.url("sms_receipt"), enabled=1
        )
        sent = await cs.sms.send(
            messages=[{"to": to, "body": "hi", "custom_string": to} for to in [*fictional, "+61411111111"]]
        )
        assert [message.status for message in sent.messages or []] == ["SUCCESS"] * 3
        assert len(await settled(server)) == 3
    by_number = {push.custom_string: push for push in got.received}
    for to in fictional:
        push = by_number[to]
        assert (push.status, push.status_code, push.error_code) == ("Undelivered", "301", "8"), push
    assert (by_number["+61411111111"].status, by_number["+61411111111"].status_code) == ("Delivered", "201")
    listed = {receipt.custom_string: receipt.status_code async for receipt in cs.sms.receipts.list()}
    assert {to: listed[to] for to in [*fictional, "+61411111111"]} == {
        "+61491570006": "301",
        "+12025550123": "301",
        "+61411111111": "201",
    }
    history = {entry.custom_string: entry.status async for entry in cs.sms.history.list()}
    assert (history["+61491570006"], history["+61411111111"]) == ("Failed", "Sent")


@pytest.mark.parametrize("webhook_type", ["json", "get"])
async def test_an_inbound_sms_is_pushed_to_matching_inbound_rules(
    sandbox: Sandbox, webhook_type: Literal["json", "get"]
) -> None:
    server, cs = sandbox
    async with receiver() as got:
        for term in ("stop", "start"):
            await cs.automations.sms_inbound.create(
                dedicated_number="*",
                rule_name=term,
                message_search_type=1,
                message_search_term=term,
                action="URL",
                action_address=got.url("sms_inbound") + "?rule=" + term,
                enabled=1,
                webhook_type=webhook_type,
            )
        inbound = server.state.receive_sms("STOP please", from_number="+61411111111", to="+61400000000")
        assert [attempt.status for attempt in await settled(server)] == [200]
    [push] = got.received
    assert isinstance(push, InboundSmsPush)
    assert (push.message_id, push.from_, push.to, push.body) == (
        inbound["message_id"],
        "+61411111111",
        "+61400000000",
        "STOP please",
    )


async def test_a_failed_push_is_retried_and_handled_once(sandbox: Sandbox) -> None:
    server, cs = sandbox
    server.pushes.retry_interval = 0.01
    async with receiver(failures=1) as got:
        url = got.url("sms_receipt")
        await cs.automations.sms_receipts.create(
            rule_name="hook", match_type=0, action="URL", action_address=url, enabled=1
        )
        await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
        assert [(a.attempt, a.status) for a in await settled(server)] == [(1, 500), (2, 200)]
    assert len(got.received) == 1


async def test_create_test_pushes_to_the_url_given(sandbox: Sandbox) -> None:
    server, cs = sandbox
    async with receiver() as got:
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
        receipt = await cs.sms.receipts.create_test(url=got.url("sms_receipt"))
        inbound = await cs.sms.inbound.create_test(url=got.url("sms_inbound"), webhook_type="json")
        assert [a.status for a in await settled(server)] == [200, 200]
    by_kind = {type(push): push for push in got.received}
    assert by_kind[SmsReceiptPush].message_id == receipt.message_id == (sent.messages or [])[0].message_id
    assert by_kind[InboundSmsPush].message_id == inbound.message_id


async def test_only_loopback_urls_are_pushed_to_unless_allowed(sandbox: Sandbox) -> None:
    server, cs = sandbox
    await cs.sms.receipts.create_test(url="http://example.com/hook")
    [refused] = await settled(server)
    assert (refused.url, refused.status, refused.error) == (
        "http://example.com/hook",
        None,
        "refused: not a loopback URL",
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("api.localhost", False),
        ("localhost.example.com", False),
        ("localhost..", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_is_a_loopback_address_or_localhost_itself(host: str | None, loopback: bool) -> None:
    """The SDK's check (plain http only to this machine) and the sandbox's own (pushes only there)."""
    assert is_loopback(host) is loopback
    assert _pushes.is_loopback(host) is loopback


async def test_a_localhost_subdomain_is_not_pushed_to(sandbox: Sandbox) -> None:
    """A resolver may send ``*.localhost`` to DNS: it is not known to be this machine."""
    server, cs = sandbox
    await cs.sms.receipts.create_test(url="http://hooks.localhost/hook")
    [refused] = await settled(server)
    assert (refused.status, refused.error) == (None, "refused: not a loopback URL")


def test_plain_http_to_a_localhost_subdomain_is_refused_by_the_client() -> None:
    with pytest.raises(ClientConfigurationError, match="base_url"):
        AsyncClickSend("user", "key", base_url="http://api.localhost/v3")


def test_plain_http_to_ipv4_mapped_loopback_is_allowed_by_the_client() -> None:
    base_url = "http://[::ffff:127.0.0.1]:9/v3"
    assert AsyncClickSend("user", "key", base_url=base_url).base_url == base_url


async def test_a_malformed_url_is_refused_not_answered_500(sandbox: Sandbox) -> None:
    server, cs = sandbox
    await cs.sms.receipts.create_test(url="http://[::1")
    [refused] = await settled(server)
    assert refused.status is None and (refused.error or "").startswith("refused: not a URL")


async def test_a_get_push_goes_before_the_urls_fragment_and_its_answer_is_not_read(sandbox: Sandbox) -> None:
    server, cs = sandbox
    got: list[dict[str, str]] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        got.append(dict(request.query))
        answer = web.StreamResponse()
        await answer.prepare(request)
        while True:  # an answer that never ends: its status is all the sandbox needs
            await answer.write(b"x" * 65536)

    listener = socket.create_server(("127.0.0.1", 0))
    app = web.Application()
    app.router.add_get("/hook", endless)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.SockSite(runner, listener).start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook?mine=1#top"
        await cs.sms.inbound.create_test(url=url, webhook_type="get")
        [attempt] = await settled(server)
    finally:
        await runner.cleanup()
    assert attempt.status == 200
    [query] = got
    assert query["mine"] == "1" and "message_id" in query


async def test_pushes_in_hand_are_cancelled_when_the_server_stops() -> None:
    async with receiver(failures=1) as got, SandboxServer(push_retry_interval=60) as server:
        server.pushes.send("sms_inbound", {"message_id": "m1"}, got.url("sms_inbound"))
        await first_attempt(server)
        pending = set(server.pushes._tasks)
        assert pending
    assert all(task.cancelled() for task in pending)
    assert [attempt.status for attempt in server.pushes.attempts] == [500]


async def test_a_scheduled_sms_is_receipted_when_due_unless_cancelled(sandbox: Sandbox) -> None:
    server, cs = sandbox
    async with receiver() as got:
        await cs.automations.sms_receipts.create(
            rule_name="hook", match_type=0, action="URL", action_address=got.url("sms_receipt"), enabled=1
        )
        due = int(time.time()) + 1
        sent = await cs.sms.send(
            messages=[
                {"to": "+61411111111", "body": "kept", "schedule": due},
                {"to": "+61422222222", "body": "dropped", "schedule": due},
            ]
        )
        kept, dropped = (message.message_id for message in sent.messages or [])
        assert dropped is not None
        await cs.sms.cancel(message_id=dropped)
        assert await settled(server) == []
        await first_attempt(server)
        await settled(server)
    assert [push.message_id for push in got.received] == [kept]


async def test_the_webhook_app_example_receives_receipts_and_answers_inbound_sms(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/webhook_app.py end to end: send → receipts pushed → recorded; inbound pushed → replied."""
    server, _ = sandbox
    monkeypatch.setenv("CLICKSEND_BASE_URL", server.base_url)
    monkeypatch.setenv("CLICKSEND_USERNAME", "sandbox-user")
    monkeypatch.setenv("CLICKSEND_API_KEY", "sandbox-key")
    monkeypatch.delenv("WEBHOOK_PUBLIC_URL", raising=False)
    await webhook_app.main()
    printed = capsys.readouterr().out
    assert printed.count("  receipt for ") == webhook_app.SENT
    assert printed.count(": Delivered (") == webhook_app.SENT - 1 and printed.count(": Undelivered (") == 1
    assert "answered 1 inbound SMS" in printed
    delivered = [a for a in server.pushes.attempts if a.kind == "sms_receipt" and a.delivered]
    assert len(delivered) >= webhook_app.SENT  # (the auto-reply's own receipt may come too)
