"""End to end over real loopback sockets: the SDK against the embedded sandbox."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp
import pytest

from aioclicksend import (
    APIConnectionError,
    APITimeoutError,
    AsyncClickSend,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
)
from aioclicksend.params import SmsMessageParam, SmsSenderRequestParam
from aioclicksend.sandbox import Faults, SandboxServer
from aioclicksend.sandbox._openapi import spec
from aioclicksend.testing import clicksend_sandbox

from ..support import FAST


async def test_send_lands_in_history_and_receipts(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    sent = await cs.sms.send(
        messages=[
            {"to": "+61411111111", "body": "hello", "custom_string": "m1"},
            {"to": "not-a-number", "body": "hello", "custom_string": "m2"},
            {"to": "+61422222222", "body": "x" * 200, "custom_string": "m3"},
        ]
    )
    assert [message.status for message in sent.messages or []] == ["SUCCESS", "INVALID_RECIPIENT", "SUCCESS"]
    assert (sent.total_count, sent.queued_count) == (3, 2)
    assert [message.message_parts for message in sent.messages or []] == [1, 1, 2]
    ids = [message.message_id for message in sent.messages or []]
    assert len(set(ids)) == 3 and all(ids)

    history = [message async for message in cs.sms.history.list()]
    assert [message.custom_string for message in history] == ["m1", "m3"]
    receipts = [receipt async for receipt in cs.sms.receipts.list()]
    assert {receipt.message_id for receipt in receipts} == {ids[0], ids[2]}
    assert ids[0] is not None
    receipt = await cs.sms.receipts.get(message_id=ids[0])
    assert receipt.status_code == "201"
    assert server.counters.duplicates() == {}


async def test_price_sends_nothing(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    priced = await cs.sms.price(messages=[{"to": "+61411111111", "body": "hello"}])
    assert priced.total_price is not None and priced.total_price > 0
    assert (await cs.sms.history.list()).total == 0
    assert not server.counters.deliveries


async def test_pages_are_sized_by_the_specs_limit_parameter(
    sandbox: tuple[SandboxServer, AsyncClickSend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox reads its page sizes from the spec (the limit's default and maximum), not from the SDK."""
    _, cs = sandbox
    limit = spec()["components"]["parameters"]["limit"]["schema"]
    list_id = (await cs.contact_lists.create(list_name="Paged")).list_id
    assert list_id is not None
    assert (await cs.contacts.list(list_id=list_id)).per_page == limit["default"]
    assert (await cs.contacts.list(list_id=list_id, limit=limit["maximum"])).per_page == limit["maximum"]
    monkeypatch.setitem(limit, "default", limit["default"] + 5)
    assert (await cs.contacts.list(list_id=list_id)).per_page == limit["default"]


async def test_contacts_crud_and_paging(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    contact_list = await cs.contact_lists.create(list_name="Customers")
    assert contact_list.list_id is not None and contact_list.list_name == "Customers"
    for number in range(40):
        await cs.contacts.create(
            list_id=contact_list.list_id, phone_number=f"+614110{number:05d}", first_name=f"C{number}"
        )

    first = await cs.contacts.list(list_id=contact_list.list_id, limit=15)
    assert (first.total, first.per_page, first.last_page, first.from_, first.to) == (40, 15, 3, 1, 15)
    assert first.next_page_url is not None and first.prev_page_url is None
    everyone = [contact async for contact in cs.contacts.list(list_id=contact_list.list_id, limit=15)]
    assert [contact.first_name for contact in everyone] == [f"C{number}" for number in range(40)]

    target = everyone[5]
    assert target.contact_id is not None
    updated = await cs.contacts.update(
        list_id=contact_list.list_id, contact_id=target.contact_id, last_name="Smith"
    )
    assert (updated.first_name, updated.last_name) == ("C5", "Smith")
    other = await cs.contact_lists.create(list_name="VIP")
    assert other.list_id is not None
    moved = await cs.contacts.transfer(
        from_list_id=contact_list.list_id, contact_id=target.contact_id, to_list_id=other.list_id
    )
    assert moved.list_id == other.list_id
    with pytest.raises(NotFoundError):
        await cs.contacts.get(list_id=contact_list.list_id, contact_id=target.contact_id)
    await cs.contacts.delete(list_id=other.list_id, contact_id=target.contact_id)
    assert (await cs.contacts.list(list_id=other.list_id)).total == 0
    assert (await cs.contacts.list(list_id=contact_list.list_id)).total == 39


async def test_send_to_a_list_reaches_every_contact(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    contact_list = await cs.contact_lists.create(list_name="Everyone")
    assert contact_list.list_id is not None
    for number in range(3):
        await cs.contacts.create(list_id=contact_list.list_id, phone_number=f"+6141100000{number}")
    sent = await cs.sms.send(messages=[{"list_id": contact_list.list_id, "body": "news"}])
    assert sent.queued_count == 3


async def test_templates_round_trip(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    template = await cs.sms.templates.create(template_name="Welcome", body="Hi {first_name}")
    assert template.template_id is not None
    await cs.sms.templates.update(template_id=template.template_id, template_name="Welcome 2", body="Hello")
    [stored] = [item async for item in cs.sms.templates.list()]
    assert (stored.template_name, stored.body) == ("Welcome 2", "Hello")
    await cs.sms.templates.delete(template_id=template.template_id)
    assert (await cs.sms.templates.list()).total == 0


async def test_cancel_scheduled_message(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "later", "schedule": 4102444800}])
    [message] = sent.messages or []
    assert message.message_id is not None
    await cs.sms.cancel(message_id=message.message_id)
    [stored] = (await cs.sms.history.list()).data
    assert stored.status == "Cancelled"
    with pytest.raises(NotFoundError):
        await cs.sms.cancel(message_id="NO-SUCH-MESSAGE")


async def test_rate_limit_storm_is_survived_without_duplicates() -> None:
    async with clicksend_sandbox(faults=Faults(rate_limit=10), retry_policy=FAST, max_retries=10) as (
        server,
        cs,
    ):
        batches: list[list[SmsMessageParam]] = [
            [{"to": "+61411111111", "body": "storm", "custom_string": f"{b}-{i}"} for i in range(5)]
            for b in range(25)
        ]
        results = await asyncio.gather(*(cs.sms.send(messages=batch) for batch in batches))
    assert sum(result.queued_count or 0 for result in results) == 125
    assert server.counters.rate_limited > 0
    assert len(server.counters.deliveries) == 125 and server.counters.duplicates() == {}


async def test_5xx_is_retried_for_reads_and_never_for_sends() -> None:
    async with clicksend_sandbox(faults=Faults(error_rate=0.5, seed=3), retry_policy=FAST, max_retries=8) as (
        server,
        cs,
    ):
        for _ in range(5):
            await cs.account.get()  # retried through the injected failures
        assert server.counters.injected_errors > 0
        server.faults.error_rate = 0.0
        server.faults.error_after_rate = 1.0
        with pytest.raises(InternalServerError):
            await cs.sms.send(messages=[{"to": "+61411111111", "body": "once", "custom_string": "only-once"}])
    assert server.counters.requests["SendSms"] == 1
    assert server.counters.deliveries[("sms", "only-once")] == 1


async def test_dropped_connection_after_a_send_is_not_resent() -> None:
    async with clicksend_sandbox(faults=Faults(drop_rate=1.0), retry_policy=FAST) as (server, cs):
        with pytest.raises(APIConnectionError) as caught:
            await cs.sms.send(messages=[{"to": "+61411111111", "body": "x", "custom_string": "dropped"}])
    assert caught.value.request_sent is True
    assert server.counters.requests["SendSms"] == 1 and server.counters.dropped == 1
    assert server.counters.deliveries[("sms", "dropped")] == 1


async def test_latency_beyond_the_timeout() -> None:
    async with clicksend_sandbox(
        faults=Faults(latency_ms=500), retry_policy=FAST, max_retries=1, timeout=0.1
    ) as (server, cs):
        with pytest.raises(APITimeoutError):
            await cs.account.get()
    assert server.counters.requests["GetAccount"] == 2  # a read is retried once after its timeout


async def test_auth_and_test_accounts(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, _ = sandbox
    async with AsyncClickSend("nocredit", "D83DED51", base_url=server.base_url) as cs:
        await cs.account.get()
        with pytest.raises(PermissionDeniedError) as caught:
            await cs.sms.send(messages=[{"to": "+61411111111", "body": "x"}])
        assert caught.value.response_code == "INSUFFICIENT_CREDIT"
    async with AsyncClickSend("notactive", "D83DED51", base_url=server.base_url) as cs:
        with pytest.raises(PermissionDeniedError, match="ACCOUNT_NOT_ACTIVATED"):
            await cs.account.get()
    async with aiohttp.ClientSession() as session, session.get(f"{server.base_url}/account") as response:
        assert response.status == 401 and (await response.json())["response_code"] == "INVALID_CREDENTIALS"
    async with AsyncClickSend("someone", "key", base_url=server.base_url) as cs:
        assert (await cs.account.forgot_password(username="someone")) == []  # needs no credentials


async def test_bad_requests_get_a_clickSend_style_400_naming_the_field(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    server, _ = sandbox
    auth = {"Authorization": "Basic " + base64.b64encode(b"user:key").decode()}
    async with aiohttp.ClientSession(headers=auth) as session:
        async with session.post(
            f"{server.base_url}/sms/send", json={"messages": [{"to": "+61411111111"}]}
        ) as response:
            answer = await response.json()
        assert response.status == 400
        assert (
            answer["response_code"] == "BAD_REQUEST"
            and "messages[0].body: Field required" in answer["response_msg"]
        )
        async with session.get(f"{server.base_url}/lists/abc") as response:
            assert (
                response.status == 400
                and "list_id: must be an integer" in (await response.json())["response_msg"]
            )
        async with session.get(f"{server.base_url}/sms/history/export") as response:
            assert (
                response.status == 400
                and "filename: Field required" in (await response.json())["response_msg"]
            )
        refused = [
            ("POST", "/sms/send", {"messages": [{"to": "+61411111111", "body": "x", "source": None}]}),
            ("POST", "/sms/send", {"messages": [{"to": "+61411111111", "body": "x"}], "colour": 1}),
            ("POST", "/voice/send", {"messages": [{"to": "+61411111111", "body": "x", "voice": "robot"}]}),
            ("GET", "/lists?limit=500", None),
            ("GET", "/alpha-tags?filter%5Bstatus%5D%5B%5D=APPROVED&filter%5Bstatus%5D%5B%5D=NOPE", None),
        ]
        messages = []
        for method, path, body in refused:
            async with session.request(method, server.base_url + path, json=body) as response:
                assert response.status == 400
                messages.append((await response.json())["response_msg"])
        assert messages == [
            'messages[0].source: null is not of type "string"',  # a null the schema does not allow
            "colour: Extra inputs are not permitted",
            'messages[0].voice: "robot" is not one of "female" or "male"',
            "limit: 500 is greater than the maximum of 100",
            'filter[status][][1]: "NOPE" is not one of "PENDING", "APPROVED" or "REJECTED"',
        ]
    assert not server.counters.deliveries


async def test_wrong_credentials_header_is_refused(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    with pytest.raises(AuthenticationError):
        await cs.account.get(extra_headers={"Authorization": "Basic !!"})


async def test_email_and_voice_sends_land_in_their_history(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    _, cs = sandbox
    sent = await cs.email.send(
        to=[{"email": "ann@example.com", "name": "Ann"}],
        from_={"email_address_id": 1, "name": "Shop"},
        subject="Receipt",
        body="<p>Thanks</p>",
    )
    assert sent.subject == "Receipt" and sent.message_id
    [stored] = [email async for email in cs.email.history.list()]
    assert (
        stored.message_id == sent.message_id
        and stored.to is not None
        and stored.to[0].email == "ann@example.com"
    )
    voice = await cs.voice.send(
        messages=[{"to": "+61411111111", "body": "Your code is 1234", "voice": "female"}]
    )
    assert voice.queued_count == 1
    assert (await cs.voice.history.list()).total == 1


async def test_paging_with_prefetch(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    contact_list = await cs.contact_lists.create(list_name="Many")
    assert contact_list.list_id is not None
    for number in range(100):
        await cs.contacts.create(list_id=contact_list.list_id, phone_number=f"+614110{number:05d}")
    server.faults.latency_ms = 20
    pager = cs.contacts.list(list_id=contact_list.list_id, limit=15)
    active, most = 0, 0
    fetch_page = pager.fetch_page

    async def counting(number: int) -> Any:
        nonlocal active, most
        active += 1
        most = max(most, active)
        try:
            return await fetch_page(number)
        finally:
            active -= 1

    pager.fetch_page = counting  # type: ignore[method-assign,assignment]
    numbers = [contact.phone_number async for contact in pager.items(prefetch=3)]
    assert numbers == [f"+614110{number:05d}" for number in range(100)]
    assert most == 3  # three pages in flight at once

    async for page in cs.contacts.list(list_id=contact_list.list_id, limit=15).pages(prefetch=4):
        assert page.current_page == 1
        break  # leaving early cancels the pages fetched ahead
    with pytest.raises(ValueError, match="prefetch: must be 0 or more"):
        async for _ in cs.contacts.list(list_id=contact_list.list_id).pages(prefetch=-1):
            pass


def test_bad_fault_settings_are_named() -> None:
    with pytest.raises(ValueError, match="spike_rate must be between 0 and 1, not 2"):
        Faults(spike_rate=2)
    from aioclicksend.sandbox.__main__ import main

    with pytest.raises(SystemExit, match=r"drop_rate must be between 0 and 1, not -0\.5"):
        main(["--drop-rate", "-0.5"])


async def test_alpha_tags_are_kept_and_paged_by_cursor(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    requested = [await cs.alpha_tags.request(alpha_tag=f"Tag{number}") for number in range(12)]
    assert all(tag.id and tag.status == "PENDING" for tag in requested)
    first = await cs.alpha_tags.list(page_size=5)
    assert [tag.alpha_tag for tag in first.alpha_tags or []] == [f"Tag{number}" for number in range(5)]
    walked = [tag.alpha_tag async for tag in cs.alpha_tags.list(page_size=5)]
    assert walked == [f"Tag{number}" for number in range(12)]
    assert requested[3].id is not None
    assert (await cs.alpha_tags.get(alpha_tag_id=requested[3].id)).alpha_tag == "Tag3"
    await cs.alpha_tags.delete(alpha_tag_id=requested[3].id)
    with pytest.raises(NotFoundError):
        await cs.alpha_tags.get(alpha_tag_id=requested[3].id)


async def test_automation_rules_round_trip(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    rule = await cs.automations.sms_inbound.create(
        dedicated_number="*",
        rule_name="Forward",
        message_search_type=0,
        action="EMAIL_FIXED",
        action_address="ann@example.com",
        enabled=1,
    )
    assert rule.inbound_rule_id is not None and rule.rule_name == "Forward"
    [listed] = [item async for item in cs.automations.sms_inbound.list()]
    assert listed.inbound_rule_id == rule.inbound_rule_id
    assert (await cs.automations.sms_receipts.list()).total == 0  # another collection
    await cs.automations.sms_inbound.delete(inbound_rule_id=rule.inbound_rule_id)
    with pytest.raises(NotFoundError):
        await cs.automations.sms_inbound.get(inbound_rule_id=rule.inbound_rule_id)


async def test_senders_and_short_urls_go_out(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    """Fields ClickSend's own spec knows (the docs do not): they reach the sandbox, which validates them;
    contact_id, which that spec says is no longer in use, too, with a DeprecationWarning at this line."""
    server, cs = sandbox
    senders: list[SmsSenderRequestParam] = [
        {"recipient_country_code": "AU", "sender_type": "longcode", "sender_id": "+61411111111"}
    ]
    with pytest.warns(DeprecationWarning, match=r"SmsMessage\.contact_id is deprecated") as warned:
        sent = await cs.sms.send(
            messages=[{"to": "+61411111111", "body": "see https://example.com", "contact_id": 7}],
            senders=senders,
            shorten_urls=True,
        )
    assert [warning.filename for warning in warned] == [__file__]
    assert [message.status for message in sent.messages or []] == ["SUCCESS"]
    contact_list = await cs.contact_lists.create(list_name="Campaign")
    assert contact_list.list_id is not None
    campaign = await cs.sms_campaigns.send(
        list_id=contact_list.list_id, name="Spring", body="Hello", senders=senders, source="sdk"
    )
    assert campaign is not None
    assert server.counters.requests["SendSms"] == 1 and server.counters.requests["SendSmsCampaign"] == 1
