"""The client: sessions, environment, per-call options, raw responses, lenient models, cheap import."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest

import aioclicksend
from aioclicksend import NOT_GIVEN, AsyncClickSend, RawResponse, RequestValidationError, models
from aioclicksend._core.models import OpenIntEnum, OpenStrEnum
from codegen.generate import TYPE_OVERRIDES, referenced_schemas
from codegen.names import snake_case

from ..support import ANY_URL, BASE_URL, MockAPI, sandbox_in_a_thread, sent, sent_json

SEND_URL = f"{BASE_URL}/sms/send"
OK = {
    "http_code": 200,
    "response_code": "SUCCESS",
    "response_msg": "Here are your data.",
    "data": {"total_count": 1},
}


async def test_callers_session_is_used_and_left_open(mocked: MockAPI) -> None:
    mocked.get(f"{BASE_URL}/account", payload={"data": {"user_id": 1}})
    async with aiohttp.ClientSession(headers={"X-App": "mine"}) as session:
        async with AsyncClickSend("u", "k", base_url=BASE_URL, session=session) as cs:
            await cs.account.get()
        assert not session.closed
        [(_, _, request)] = sent(mocked)
        assert request["headers"]["X-App"] == "mine"


async def test_own_session_is_reused_and_closed(mocked: MockAPI) -> None:
    mocked.get(f"{BASE_URL}/account", payload={"data": {"user_id": 1}}, repeat=True)
    cs = AsyncClickSend("u", "k", base_url=BASE_URL)
    async with cs:
        await cs.account.get()
        session = cs._session
        await cs.account.get()
        assert cs._session is session
    assert session is not None and session.closed


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKSEND_USERNAME", "env-user")
    monkeypatch.setenv("CLICKSEND_API_KEY", "env-key")
    monkeypatch.setenv("CLICKSEND_BASE_URL", "http://127.0.0.1:9/v3/")
    cs = AsyncClickSend()
    assert (cs.username, cs.base_url) == ("env-user", "http://127.0.0.1:9/v3")
    assert AsyncClickSend("arg-user", "arg-key").username == "arg-user"


def test_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        AsyncClickSend("u", "k", max_retries=-1)


async def test_per_call_options(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(SEND_URL, payload=OK)
    await client.sms.send(messages=[{"to": "+1", "body": "x"}], timeout=1.5, extra_headers={"X-Trace": "abc"})
    [(_, _, request)] = sent(mocked)
    assert request["headers"]["X-Trace"] == "abc"
    assert request["timeout"].total == 1.5


async def test_unset_fields_are_not_sent_and_aliases_are_used(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    mocked.post(SEND_URL, payload=OK)
    message = models.SmsMessage(to="+61411111111", body="hi", from_="MyBrand")
    await client.sms.send(messages=[message, {"list_id": 5, "body": "to a list", "schedule": 1700000000}])
    [(_, _, request)] = sent(mocked)
    assert sent_json(request) == {
        "messages": [
            {"to": "+61411111111", "body": "hi", "from": "MyBrand"},
            {"list_id": 5, "body": "to a list", "schedule": 1700000000},
        ]
    }


async def test_not_given_leaves_a_field_out(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.put(f"{BASE_URL}/sms/receipts-read", payload={"data": []})
    await client.sms.receipts.mark_read(date_before=NOT_GIVEN)
    [(_, _, request)] = sent(mocked)
    assert sent_json(request) == {}


async def test_with_raw_response(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(SEND_URL, payload=OK, headers={"X-RateLimit-Remaining": "41"})
    raw = await client.sms.with_raw_response.send(messages=[{"to": "+1", "body": "x"}])
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.http_code, raw.response_code, raw.response_msg) == (
        200,
        200,
        "SUCCESS",
        "Here are your data.",
    )
    assert raw.headers["X-RateLimit-Remaining"] == "41"
    assert isinstance(raw.data, models.SmsSendResult) and raw.data.total_count == 1
    assert json.loads(raw.content) == OK
    assert (raw.method, raw.url) == ("POST", SEND_URL)


async def test_with_raw_response_on_nested_and_paged(client: AsyncClickSend, mocked: MockAPI) -> None:
    page = {"data": {"total": 0, "current_page": 1, "last_page": 1, "data": []}}
    mocked.get(f"{BASE_URL}/sms/templates?page=1", payload=page)
    raw = await client.sms.with_raw_response.templates.list()
    assert raw.status == 200 and raw.data.total == 0
    # The raw mode ends with the call.
    mocked.get(f"{BASE_URL}/sms/templates?page=1", payload=page)
    assert (await client.sms.templates.list()).total == 0


def test_lenient_models_take_the_docs_inconsistencies() -> None:
    sms = models.SentSms.model_validate(
        {
            "schedule": "",
            "date": "1436932432",
            "message_price": "0.070000",
            "message_parts": "1.00",
            "new_field": 1,
        }
    )
    assert (sms.schedule, sms.date, sms.message_price, sms.message_parts) == (
        None,
        1436932432,
        Decimal("0.070000"),
        Decimal("1.00"),
    )
    assert sms.model_extra == {"new_field": 1}
    priced = models.SmsSendResult.model_validate({"total_price": 0.28, "queued_count": 1})
    assert priced.total_price == Decimal("0.28")
    assert json.loads(priced.model_dump_json(exclude_unset=True)) == {
        "total_price": "0.28",
        "queued_count": 1,
    }
    assert (
        models.Contact.model_validate({"contact_id": 1, "list_name": None, "custom_1": 123}).custom_1 == "123"
    )


def test_import_is_lazy() -> None:
    code = (
        "import asyncio, sys, aioclicksend\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('aioclicksend._generated.'))\n"
        "cs = aioclicksend.AsyncClickSend('u', 'k')\n"
        "print(loaded())\n"
        "cs.sms\n"
        "print(loaded())\n"
        "try:\n"
        "    asyncio.run(cs.sms.send(messages=[{}]))\n"
        "except aioclicksend.RequestValidationError:\n"
        "    print(loaded())\n"
    )
    before, touched, called = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert before == "['aioclicksend._generated.client']"
    assert "aioclicksend._generated.resources.sms" in touched
    assert "aioclicksend._generated.models" not in touched  # models load with the first call that needs one
    assert "aioclicksend._generated.models" in called
    assert "aioclicksend._generated.resources.contacts" not in called


def test_a_call_loads_only_the_models_it_sends_and_receives() -> None:
    """One module per schema: sms.send loads the models of its body and of its answer, and no other."""
    spec = json.loads((Path(aioclicksend.__file__).parent / "_generated" / "openapi.json").read_text())
    operation = spec["paths"]["/sms/send"]["post"]
    exchanged = [operation["requestBody"], operation["responses"]["200"]]
    expected = {snake_case(name) for name in referenced_schemas(spec, exchanged) - set(TYPE_OVERRIDES)}
    expected -= {"envelope"}  # the request loop reads the envelope itself; its model is for the reader
    code = (
        "import asyncio, sys, aioclicksend\n"
        "async def main():\n"
        "    async with aioclicksend.AsyncClickSend('demo', 'key', base_url=sys.argv[1]) as cs:\n"
        "        await cs.sms.send(messages=[{'to': '+61411111111', 'body': 'hello'}])\n"
        "asyncio.run(main())\n"
        "prefix = 'aioclicksend._generated.models.'\n"
        "print(' '.join(sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))))\n"
        "print('tenacity' in sys.modules)\n"
    )
    with sandbox_in_a_thread(accounts={"demo": "key"}) as server:
        run = subprocess.run(
            [sys.executable, "-c", code, server.base_url], capture_output=True, text=True, check=True
        )
    models, tenacity_loaded = run.stdout.splitlines()
    assert tenacity_loaded == "False", "tenacity loads with the first retry, not with a call that needs none"
    assert set(models.split()) == expected
    assert {"sms_message_collection", "sms_send_result", "sms_message"} <= expected


def test_open_enum_accepts_unknown_values() -> None:
    class Colour(OpenStrEnum):
        RED = "red"

    assert Colour("red") is Colour.RED
    novel = Colour("ultraviolet")
    unlisted: Any = "ultraviolet"
    assert isinstance(novel, Colour) and novel == unlisted and novel.value == unlisted
    assert novel not in list(Colour)
    assert f"{Colour.RED} {novel}" == "red ultraviolet"

    class Level(OpenIntEnum):
        LOW = 0

    assert Level(0) is Level.LOW
    assert Level(7) == 7 and Level(7) not in list(Level) and Level(7).name == "VALUE_7"
    with pytest.raises(ValueError):
        Level(cast(Any, "7"))


async def test_extra_body_paths_reach_into_the_body(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"messages": []}})
    await client.sms.send(
        messages=[{"to": "+61411111111", "body": "hi"}],
        extra_body={"shorten_urls": True, "messages[0].contact_id": 5, "meta.tags.first": "a"},
        extra_query={"trace": ["1", "2"]},
    )
    [(_, url, request)] = sent(mocked)
    assert sent_json(request) == {
        "messages": [{"to": "+61411111111", "body": "hi", "contact_id": 5}],
        "shorten_urls": True,
        "meta": {"tags": {"first": "a"}},
    }
    assert url.query.getall("trace") == ["1", "2"]


@pytest.mark.parametrize(
    ("extra_body", "problem"),
    [
        ({"messages[3].contact_id": 5}, "3 does not name a place in the body"),
        ({"messages.contact_id": 5}, "'contact_id' does not name a place in the body"),
        ({"a..b": 1}, "is not a field name or a path"),
        ({1: 2}, "extra_body: must be a mapping with text keys"),
    ],
)
async def test_extra_body_paths_that_do_not_fit_are_refused(
    client: AsyncClickSend, mocked: MockAPI, extra_body: dict[Any, Any], problem: str
) -> None:
    with pytest.raises(RequestValidationError, match=problem):
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi"}], extra_body=extra_body)
    assert sent(mocked) == []


async def test_an_unknown_field_says_how_to_send_it_on_purpose(client: AsyncClickSend) -> None:
    with pytest.raises(RequestValidationError) as caught:
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi", "too": "typo"}])  # type: ignore[list-item]
    assert caught.value.problems == [
        "messages[0].too: Extra inputs are not permitted",
        "to send a field the spec does not know on purpose, pass it in extra_body={...}",
    ]


BARE_MMS_CAMPAIGNS_PAGE = {  # the docs' own answer of View All MMS Campaigns: the page without the envelope
    "total": 1,
    "per_page": 15,
    "current_page": 1,
    "last_page": 1,
    "next_page_url": None,
    "prev_page_url": None,
    "from": 1,
    "to": 12,
    "data": [
        {
            "mms_campaign_id": 97,
            "name": "My Campaign",
            "user_id": 1,
            "subaccount_id": 15,
            "list_id": 76468,
            "from": "+61411111111",
            "subject": "New MMS campaign test",
            "file_name": "CEF2DB1E-784F-4505-A293-02007BD81885.jpg",
            "body": "Hey (First Name), I want to ask if this is your lastname: (Last Name)?",
            "schedule": 1588061400,
            "status": "Cancelled",
            "date_added": 1531801333,
            "custom_string": None,
            "country": None,
            "unsubscribe_link": 0,
            "_total_count": 0,
            "_list_name": "",
            "_media_file_url": "http://rest.clicksend.clicksend/files/CEF2DB1E-784F-4505-A293-02007BD81885.jpg",
        }
    ],
}


@pytest.mark.parametrize("enveloped", [False, True])
async def test_an_answer_documented_bare_is_read_bare_or_enveloped(
    client: AsyncClickSend, mocked: MockAPI, enveloped: bool
) -> None:
    answer = (
        {"http_code": 200, "response_code": "SUCCESS", "data": BARE_MMS_CAMPAIGNS_PAGE}
        if enveloped
        else BARE_MMS_CAMPAIGNS_PAGE
    )
    mocked.get(ANY_URL, payload=answer)
    page = await client.mms_campaigns.list()
    assert page.total == 1 and [campaign.mms_campaign_id for campaign in page.data] == [97]


async def test_none_means_not_given(client: AsyncClickSend, mocked: MockAPI) -> None:
    """A None field is left out, as NOT_GIVEN is: the spec allows no null there."""
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"messages": []}})
    await client.sms.send(messages=[{"to": "+61411111111", "body": "hi", "source": None}])  # type: ignore[list-item]
    [(_, _, request)] = sent(mocked)
    assert sent_json(request) == {"messages": [{"to": "+61411111111", "body": "hi"}]}
