"""Receiving ClickSend's pushes: every kind of push in every format a rule's webhook_type gives (a form POST,
a GET query string, a JSON POST), read from the variables the docs list with the docs' own example values;
malformed pushes refused with an error naming the field; the aiohttp receiver over a real loopback server
under a storm of ClickSend's retries, with and without a shared secret; the Starlette endpoint through
httpx's ASGI transport; the in-memory dedup store's bounds; and the spec's ``webhooks`` as codegen reads
them."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import logging
import re
import secrets
import socket
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import httpx
import pytest
import yaml
from aiohttp import web
from fastapi import FastAPI, Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.routing import Route

import aioclicksend
from aioclicksend import ClickSendError, WebhookError, models, webhooks
from aioclicksend._core.models import ClickSendModel
from aioclicksend._generated.webhooks import WEBHOOKS, Kind
from aioclicksend.webhooks import _parse, _receivers
from aioclicksend.webhooks._receivers import _Receiver
from codegen.bundle import SpecError, bundle
from codegen.webhooks import read_webhooks

from ..support import SPEC

ROOT = Path(__file__).resolve().parent.parent.parent
FORM = "application/x-www-form-urlencoded"
KINDS: list[Kind] = ["fax_receipt", "sms_inbound", "sms_receipt", "voice_receipt"]

# The variables each push section of the docs (001) lists, with the docs' own example values, as a form push
# sends them (text; "" for a number there is none of). Timestamps: the sections' "e.g 1439173980" (send) and
# "e.g 1439173981"; the other values from the example of the same part's list operation (View Inbound SMS,
# View SMS / Voice / Fax Receipts), which the sections leave out; user_id (in no example): 1.
DOCUMENTED: dict[str, dict[str, str]] = {
    "sms_inbound": {
        "timestamp": "1439173981",
        "to": "+61422222222",
        "from": "+61411111111",
        "body": "Liquorice sweet roll fruitcake gummies. ",
        "original_body": "Liquorice sweet roll fruitcake gummies. ",
        "original_message_id": "C557B56E-83C0-4070-A74C-9BF05474B418",
        "custom_string": "22PKU978RF",
        "user_id": "1",
        "subaccount_id": "",
        "message_id": "C557B56E-83C0-4070-A74C-9BF05474B418",
    },
    "sms_receipt": {
        "timestamp_send": "1439173980",
        "timestamp": "1439173981",
        "message_id": "31BC271B-1E0C-45F6-9E7E-97186C46BB82",
        "status": "Delivered",
        "status_code": "201",
        "status_text": "Success: Message received on handset.",
        "error_code": "",
        "error_text": "",
        "custom_string": "",
        "user_id": "1",
        "subaccount_id": "",
        "message_type": "sms",
    },
    "voice_receipt": {
        "timestamp_send": "1439173980",
        "timestamp": "1439173981",
        "message_id": "31BC271B-1E0C-45F6-9E7E-97186C46BB82",
        "status": "Delivered",
        "status_code": "201",
        "status_text": "Success: Message received on handset.",
        "error_code": "",
        "error_text": "",
        "custom_string": "",
        "user_id": "1",
        "subaccount_id": "1",
        "message_type": "voice",
        "digits": "2",
    },
    "fax_receipt": {
        "timestamp_send": "1439173980",
        "timestamp": "1439173981",
        "message_id": "88AB118E-EB1B-478C-98CE-6C73ABA23F67",
        "status": "Undelivered",
        "status_code": "Completed",
        "status_text": "",
        "error_code": "",
        "error_text": "",
        "custom_string": "",
        "user_id": "1",
        "subaccount_id": "1",
        "message_type": "fax",
    },
}
NUMBERS = {"timestamp", "timestamp_send", "user_id", "subaccount_id"}
MODELS: dict[str, type[ClickSendModel]] = {
    "sms_inbound": models.InboundSmsPush,
    "sms_receipt": models.SmsReceiptPush,
    "voice_receipt": models.VoiceReceiptPush,
    "fax_receipt": models.FaxReceiptPush,
}


def read_back(kind: str) -> dict[str, Any]:
    """What the model of ``kind`` holds once it read DOCUMENTED[kind]: numbers as int ("" as None), text as is."""
    return {
        name: (int(value) if value else None) if name in NUMBERS else value
        for name, value in DOCUMENTED[kind].items()
    }


def as_json(kind: str) -> bytes:
    """DOCUMENTED[kind] as a JSON push could send it: numbers as JSON numbers (null for none)."""
    return json.dumps(read_back(kind)).encode()


def arrived(kind: str, webhook_type: str) -> dict[str, Any]:
    """parse()'s arguments for DOCUMENTED[kind] sent with ``webhook_type``."""
    if webhook_type == "post":
        return {"body": urlencode(DOCUMENTED[kind]).encode(), "content_type": FORM}
    if webhook_type == "get":
        return {"query": urlencode(DOCUMENTED[kind])}
    return {"body": as_json(kind), "content_type": "application/json"}


# ---- the spec and the generated table ----


def test_the_table_has_a_push_for_each_documented_section() -> None:
    assert webhooks.kinds() == tuple(KINDS) == tuple(WEBHOOKS)
    for kind, model in MODELS.items():
        entry = webhooks.webhook(kind)
        assert entry.model() is model and entry.schema == model.__name__
        assert set(entry.formats) == {"post", "get", "json"}
        assert entry.dedup_key == (("message_id",) if kind == "sms_inbound" else ("message_id", "status"))
        assert issubclass(model, ClickSendModel) and model.model_config.get("extra") == "allow"
    with pytest.raises(ValueError, match="sms_inbound"):
        webhooks.webhook("sms_outbound")


@pytest.mark.parametrize("kind", KINDS)
def test_each_payload_declares_every_documented_variable(kind: str) -> None:
    schema = SPEC["components"]["schemas"][WEBHOOKS[kind].schema]
    assert list(schema["properties"]) == list(DOCUMENTED[kind])
    assert "required" not in schema
    assert all(schema["properties"][name].get("description") for name in schema["properties"])


@pytest.mark.parametrize("kind", KINDS)
def test_the_spec_describes_every_format_with_examples_the_models_read(kind: Kind) -> None:
    described = SPEC["webhooks"][kind]
    content = described["post"]["requestBody"]["content"]
    assert set(content) == {FORM, "application/json"}
    (parameter,) = described["get"]["parameters"]
    assert (parameter["in"], parameter["style"], parameter["explode"]) == ("query", "form", True)
    form_example = content[FORM]["example"]
    assert all(isinstance(value, str) for value in form_example.values())
    from_form = webhooks.parse(kind, body=urlencode(form_example), content_type=FORM)
    from_json = webhooks.parse(kind, body=json.dumps(content["application/json"]["example"]))
    assert set(form_example) == set(DOCUMENTED[kind]) == set(content["application/json"]["example"])
    assert from_form.model_extra == from_json.model_extra == {}
    assert webhooks.dedup_key(kind, from_form) == webhooks.dedup_key(kind, from_json) is not None


def test_importing_the_package_loads_no_framework_and_no_table() -> None:
    code = (
        "import sys, aioclicksend, aioclicksend.webhooks as w\n"
        "assert 'aiohttp.web' not in sys.modules and 'starlette' not in sys.modules\n"
        "assert 'aioclicksend._generated.webhooks' not in sys.modules\n"
        "w.starlette_endpoint('sms_inbound', print)\n"
        "w.parse('sms_inbound', body=b'message_id=1')\n"
        "assert 'starlette' not in sys.modules, 'starlette is only imported by a request'\n"
        "models = [m for m in sys.modules if m.startswith('aioclicksend._generated.models.')]\n"
        "assert models == ['aioclicksend._generated.models.inbound_sms_push'], 'a push loads its own model only'\n"
        "assert isinstance(aioclicksend.WebhookError('sms_inbound', ['x']), aioclicksend.ClickSendError)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---- parsing ----


@pytest.mark.parametrize("webhook_type", ["post", "get", "json"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_push_in_every_format(kind: Kind, webhook_type: str) -> None:
    push = webhooks.parse(kind, **arrived(kind, webhook_type))
    assert type(push) is MODELS[kind]
    assert push.model_dump(by_alias=True) == read_back(kind)
    assert push.model_extra == {}


def test_the_values_as_the_docs_give_them() -> None:
    inbound = webhooks.parse("sms_inbound", **arrived("sms_inbound", "post"))
    assert isinstance(inbound, models.InboundSmsPush)
    assert (
        inbound.timestamp == 1439173981 and inbound.from_ == "+61411111111" and inbound.to == "+61422222222"
    )
    assert (
        inbound.body == "Liquorice sweet roll fruitcake gummies. "
    )  # a form's "+" is a space, kept at the end
    assert inbound.user_id == 1 and inbound.subaccount_id is None  # subaccount_id= : none
    receipt = webhooks.parse("voice_receipt", **arrived("voice_receipt", "get"))
    assert isinstance(receipt, models.VoiceReceiptPush)
    assert receipt.status is models.PushReceiptStatus.DELIVERED and receipt.digits == "2"
    assert receipt.timestamp_send == 1439173980 and receipt.error_code == ""
    fax = webhooks.parse("fax_receipt", **arrived("fax_receipt", "json"))
    assert isinstance(fax, models.FaxReceiptPush)
    assert fax.status == "Undelivered" and fax.status_code == "Completed" and fax.subaccount_id == 1


def test_other_ways_the_same_push_can_arrive() -> None:
    expected = webhooks.parse("sms_receipt", **arrived("sms_receipt", "post"))
    same = [
        # the query as a mapping (a framework's parsed query), single values or lists of one
        webhooks.parse("sms_receipt", query=dict(DOCUMENTED["sms_receipt"])),
        webhooks.parse(
            "sms_receipt", query={name: [value] for name, value in DOCUMENTED["sms_receipt"].items()}
        ),
        webhooks.parse("sms_receipt", query=urlencode(DOCUMENTED["sms_receipt"]).encode()),
        # the body as text, with a charset, or with no content type at all (a form, or JSON when it looks so)
        webhooks.parse(
            "sms_receipt", body=urlencode(DOCUMENTED["sms_receipt"]), content_type=f"{FORM}; charset=UTF-8"
        ),
        webhooks.parse("sms_receipt", body=urlencode(DOCUMENTED["sms_receipt"]).encode()),
        webhooks.parse(
            "sms_receipt", body=json.dumps(DOCUMENTED["sms_receipt"]), content_type="application/json"
        ),
        webhooks.parse("sms_receipt", body=json.dumps(DOCUMENTED["sms_receipt"])),
        # a body beside a query: the query is the URL's own (a secret, a tag), not the push
        webhooks.parse("sms_receipt", **arrived("sms_receipt", "post"), query="tag=clicksend"),
    ]
    assert all(push == expected for push in same)


async def test_a_multipart_form_is_read_too() -> None:
    form = aiohttp.FormData(DOCUMENTED["sms_inbound"])
    form._is_multipart = True  # aiohttp's own switch: the same fields as multipart/form-data
    payload = form()
    chunks: list[bytes] = []

    class Sink:
        async def write(self, chunk: bytes) -> None:
            chunks.append(bytes(chunk))

    await payload.write(Sink())  # type: ignore[arg-type]
    push = webhooks.parse("sms_inbound", body=b"".join(chunks), content_type=payload.content_type)
    assert push.model_dump(by_alias=True) == read_back("sms_inbound")


@pytest.mark.parametrize("webhook_type", ["post", "get", "json"])
@pytest.mark.parametrize("kind", KINDS)
def test_encode_writes_what_clicksend_sends_and_parse_reads_it_back(kind: Kind, webhook_type: str) -> None:
    original = webhooks.parse(kind, **arrived(kind, "post"))
    encoded = webhooks.encode(kind, original, webhook_type)  # type: ignore[arg-type]
    assert encoded.method == ("GET" if webhook_type == "get" else "POST")
    if webhook_type == "post":
        assert encoded.body == urlencode(DOCUMENTED[kind]).encode() and encoded.headers == {
            "Content-Type": FORM
        }
    elif webhook_type == "get":
        assert encoded.query == urlencode(DOCUMENTED[kind]) and encoded.body == b"" and encoded.headers == {}
    else:
        assert json.loads(encoded.body) == read_back(kind) and encoded.content_type == "application/json"
    read = webhooks.parse(kind, body=encoded.body, content_type=encoded.content_type, query=encoded.query)
    assert read == original
    assert webhooks.encode(kind, DOCUMENTED[kind], webhook_type) == encoded  # type: ignore[arg-type]


def test_encode_refuses_what_it_cannot_write() -> None:
    with pytest.raises(WebhookError) as raised:
        webhooks.encode("sms_receipt", {"message_id": "M1", "user_id": "me"})
    assert raised.value.field == "user_id"
    with pytest.raises(ValueError, match="webhook_type"):
        webhooks.encode("sms_receipt", {"message_id": "M1"}, "xml")  # type: ignore[arg-type]
    extra = webhooks.encode("sms_inbound", {"message_id": "M1", "_keyword": "hi"}, "get")
    assert extra.query.endswith("&message_id=M1&_keyword=hi")


def test_unknown_fields_and_statuses_are_kept() -> None:
    push = webhooks.parse(
        "sms_receipt",
        body=b"message_id=M1&status=Expired&_keyword=hi&timestamp=&status_code=",
        content_type=FORM,
    )
    assert isinstance(push, models.SmsReceiptPush)
    assert push.status == "Expired" and push.status not in list(models.PushReceiptStatus)
    assert push.model_extra == {"_keyword": "hi"}
    assert push.timestamp is None and push.status_code == ""


MALFORMED: list[tuple[str, dict[str, Any], str | None]] = [
    ("sms_inbound", {"body": b"timestamp=yesterday&message_id=M1", "content_type": FORM}, "timestamp"),
    ("sms_receipt", {"query": "message_id=M1&user_id=abc"}, "user_id"),
    ("fax_receipt", {"query": {"subaccount_id": "1.5"}}, "subaccount_id"),
    (
        "voice_receipt",
        {"body": b'{"message_id": "M1", "digits": ["1"]}', "content_type": "application/json"},
        "digits",
    ),
    ("sms_inbound", {"body": b'{"from": {"number": 1}}', "content_type": "application/json"}, "from"),
    ("sms_inbound", {"body": b"body=%FF%FE&message_id=M1", "content_type": FORM}, "body"),
    ("sms_inbound", {"body": b"message_id=M1&message_id=M2", "content_type": FORM}, "message_id"),
    ("sms_receipt", {"query": {"status": ["Delivered", "Undelivered"]}}, "status"),
    ("sms_inbound", {"body": b'{"message_id": "M1", "message_id": "M2"}'}, "message_id"),
    ("sms_receipt", {"body": b'{"message_id": "M1", "status": "Delivered", "status": "abc"}'}, "status"),
    ("sms_inbound", {"body": b'{"message_id": "M1", "user_id": 1, "user_id": true}'}, "user_id"),
    ("sms_inbound", {"body": b'{"message_id": "M1", "_extra": {"a": "M2", "a": "abc"}}'}, "a"),
    ("sms_inbound", {"body": b'{"message_id": "M1"', "content_type": "application/json"}, None),
    ("sms_inbound", {"body": b'["message_id", "M1"]', "content_type": "application/json"}, None),
    ("sms_inbound", {"body": b"\xff\xfe{", "content_type": "application/json; charset=utf-8"}, None),
    ("sms_inbound", {"body": b"{}", "content_type": "application/json; charset=no-such-charset"}, None),
    ("sms_inbound", {"body": b"<push/>", "content_type": "text/xml"}, None),
    ("sms_inbound", {"body": b"a=1", "content_type": "not a media type"}, None),
    ("sms_inbound", {"body": b"--x\r\n\r\n", "content_type": "multipart/form-data; boundary=y"}, None),
    ("sms_inbound", {"body": b"[" * 100_000, "content_type": "application/json"}, None),
    ("sms_inbound", {"body": b"a&" * 2000, "content_type": FORM}, None),
    ("sms_inbound", {"body": b"", "query": ""}, None),  # a probe of the URL, not a push
    ("sms_inbound", {"body": b"&&", "content_type": FORM}, None),
    ("sms_inbound", {"body": b"message_id=M1", "content_type": FORM + "; charset=undefined"}, None),
    ("sms_inbound", {"body": b"message_id=M1", "content_type": FORM + "; charset=a\x00b"}, None),
    (
        "sms_receipt",
        {"body": b"message_id=M1&timestamp=" + b"9" * 500_000, "content_type": FORM},
        "timestamp",
    ),
    ("sms_inbound", {"body": json.dumps({f"k{i}": 1 for i in range(1001)}).encode()}, None),
    (
        "sms_inbound",
        {
            "body": b'--b\r\nContent-Disposition: form-data; name="message_id"'
            + b"; a=b" * 4000
            + b"\r\n\r\nM1",
            "content_type": "multipart/form-data; boundary=b",
        },
        None,
    ),
]


@pytest.mark.parametrize(("kind", "arguments", "field"), MALFORMED)
def test_malformed_pushes_raise_webhook_error_naming_the_field(
    kind: Kind, arguments: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(WebhookError) as raised:
        webhooks.parse(kind, **arguments)
    error = raised.value
    assert isinstance(error, ClickSendError) and isinstance(error, ValueError)
    assert error.kind == kind and error.field == field and error.problems
    assert str(error).startswith(f"malformed {kind} push: ")
    if field is not None:
        assert field in str(error)
    for secret in ("yesterday", "abc", "M2", "1.5"):  # the message never repeats a value of the push
        assert secret not in str(error).replace("malformed", "")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "arguments",
    [
        {"content_type": FORM},  # JSON labelled a form: one field, named by the whole body
        {"content_type": f"{FORM}; charset=utf-8"},
        {"content_type": "text/plain", "prefix": b"\xef\xbb\xbf"},  # a BOM, not "{": read as a form
        {"content_type": None, "prefix": b" ["},
    ],
)
def test_a_push_with_none_of_its_identifying_fields_is_refused(kind: Kind, arguments: dict[str, Any]) -> None:
    body = arguments.get("prefix", b"") + as_json(kind)
    with pytest.raises(WebhookError, match="none of the fields that identify it") as raised:
        webhooks.parse(kind, body=body, content_type=arguments["content_type"])
    assert "message_id" in str(raised.value) and "Liquorice" not in str(raised.value)
    fields = {name: value for name, value in DOCUMENTED[kind].items() if name not in WEBHOOKS[kind].dedup_key}
    for arrival in ({"body": urlencode(fields), "content_type": FORM}, {"query": fields}):
        with pytest.raises(WebhookError, match="none of the fields that identify it"):
            webhooks.parse(kind, **arrival)


def test_a_name_given_twice_with_one_value_is_read_in_every_format() -> None:
    for body in (b'{"message_id": "M1", "message_id": "M1"}', b"message_id=M1&message_id=M1"):
        push = webhooks.parse("sms_inbound", body=body)
        assert isinstance(push, models.InboundSmsPush) and push.message_id == "M1"


def test_a_body_given_as_text_is_read_as_that_text_whatever_its_charset_said() -> None:
    push = webhooks.parse(
        "sms_inbound", body="message_id=M1&body=café", content_type=f"{FORM}; charset=latin-1"
    )
    assert isinstance(push, models.InboundSmsPush) and push.body == "café"


async def test_a_body_from_a_sender_that_goes_away_is_a_webhook_error() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    request = StarletteRequest(
        {"type": "http", "method": "POST", "headers": [], "query_string": b""}, receive
    )
    with pytest.raises(WebhookError, match="went away"):
        await webhooks.from_starlette(request, "sms_inbound")


@pytest.mark.parametrize(
    ("public", "implementation"),
    [
        (webhooks.parse, _parse.parse),
        (webhooks.from_aiohttp, _parse.from_aiohttp),
        (webhooks.from_starlette, _parse.from_starlette),
        (webhooks.aiohttp_receiver, _receivers.aiohttp_receiver),
        (webhooks.starlette_endpoint, _receivers.starlette_endpoint),
    ],
)
def test_the_functions_overloaded_by_kind_take_what_their_implementations_take(
    public: Callable[..., Any], implementation: Callable[..., Any]
) -> None:
    """The generated overloads (webhooks/_by_kind.py) repeat each implementation's signature and docstring."""
    assert public is not implementation and public.__module__ == "aioclicksend.webhooks._by_kind"
    assert inspect.signature(public) == inspect.signature(implementation)
    assert inspect.getdoc(public) == inspect.getdoc(implementation)


def test_an_unknown_kind_is_a_value_error_not_a_malformed_push() -> None:
    with pytest.raises(ValueError, match="sms_inbound, sms_receipt") as raised:
        webhooks.parse("sms_sent", body=b"")  # type: ignore[call-overload]
    assert not isinstance(raised.value, WebhookError)


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from([*DOCUMENTED["voice_receipt"], "from", "x"]), st.text(max_size=12)
        ).map(lambda fields: urlencode(fields).encode()),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from([*DOCUMENTED["voice_receipt"], "from"]), inner, max_size=5)
            ),
        ).map(lambda value: json.dumps(value).encode()),
    ),
    content_type=st.sampled_from(
        [
            None,
            FORM,
            "application/json",
            "multipart/form-data; boundary=b",
            "text/plain",
            "application/json; charset=latin-1",
        ]
    ),
    query=st.one_of(st.none(), st.text(max_size=60)),
)
def test_any_input_gives_a_push_or_a_webhook_error(
    kind: Kind, body: bytes, content_type: str | None, query: str | None
) -> None:
    try:
        push = webhooks.parse(kind, body=body, content_type=content_type, query=query)
    except WebhookError:
        return
    assert isinstance(push, MODELS[kind])


# ---- the in-memory dedup store ----


async def test_the_memory_store_is_bounded_in_keys_least_recently_seen_first() -> None:
    store = webhooks.MemoryDedupStore(max_keys=3)
    assert isinstance(store, webhooks.DedupStore)
    assert [await store.seen(key) for key in ("a", "b", "c")] == [False, False, False]
    assert await store.seen("a") is True  # a is now the most recently seen
    assert await store.seen("d") is False  # over the bound: b, the least recently seen, goes
    assert len(store) == 3 and "b" not in store and {"a", "c", "d"} <= {key for key in "abcd" if key in store}
    assert await store.seen("b") is False
    assert [key for key in "abcd" if key in store] == ["a", "b", "d"]  # c went: seen least recently
    await store.forget("a")
    assert "a" not in store and len(store) == 2


async def test_the_memory_store_forgets_a_key_ttl_after_it_was_last_seen() -> None:
    now = [1000.0]
    store = webhooks.MemoryDedupStore(ttl=7200, clock=lambda: now[0])
    assert store.max_keys == 100_000 and store.ttl == 7200.0
    assert await store.seen("k") is False
    now[0] += 100 * 60  # ClickSend's last retry: 10 retries, 10 minutes apart
    assert await store.seen("k") is True
    now[0] += 7199
    assert await store.seen("k") is True  # kept ttl from its last sighting
    now[0] += 7200
    assert "k" not in store and await store.seen("other") is False and len(store) == 1  # k purged
    assert await store.seen("k") is False


async def test_the_memory_store_holds_100_000_keys_by_default() -> None:
    store = webhooks.MemoryDedupStore()
    for number in range(100_010):
        await store.seen(f"sms_inbound:{number}")
    assert len(store) == 100_000 and "sms_inbound:9" not in store and "sms_inbound:10" in store


async def test_the_memory_store_tells_a_keys_waiters_its_outcome() -> None:
    store = webhooks.MemoryDedupStore(max_keys=2)
    assert await store.outcome("unknown") is False
    assert await store.seen("done") is False and await store.seen("failed") is False
    waiters = [asyncio.create_task(store.outcome(key)) for key in ("done", "failed", "done")]
    impatient = asyncio.create_task(store.outcome("done"))
    await asyncio.sleep(0)
    impatient.cancel()  # a waiter that gives up leaves the outcome to the others
    assert not any(waiter.done() for waiter in waiters)
    await store.done("done")
    await store.forget("failed")
    assert await asyncio.gather(*waiters) == [True, False, True]
    assert await store.outcome("done") is True and await store.seen("done") is True
    assert await store.seen("failed") is False  # forgotten: handled again
    evicted = asyncio.create_task(store.outcome("failed"))
    assert await store.seen("a") is False and await store.seen("b") is False  # over max_keys: it goes
    assert await evicted is False
    await store.done("failed")  # its handler ended after all: recorded again
    assert "failed" in store and len(store) == 2


@pytest.mark.parametrize(
    "arguments", [{"max_keys": 0}, {"max_keys": 1.5}, {"ttl": 0}, {"ttl": -1}, {"max_keys": True}]
)
def test_the_memory_store_refuses_bad_bounds(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        webhooks.MemoryDedupStore(**arguments)


def test_the_dedup_key_is_the_kind_and_the_specs_fields() -> None:
    inbound = webhooks.parse("sms_inbound", query="message_id=A:1/2&status=x")
    assert webhooks.dedup_key("sms_inbound", inbound) == "sms_inbound:A%3A1%2F2"
    receipt = webhooks.parse("sms_receipt", query="message_id=M1&status=Delivered")
    assert webhooks.dedup_key("sms_receipt", receipt) == "sms_receipt:M1:Delivered"
    for unidentified in ("status=Delivered", "message_id=M1", "message_id=&status=Delivered"):
        assert webhooks.dedup_key("sms_receipt", webhooks.parse("sms_receipt", query=unidentified)) is None


def test_a_long_dedup_key_is_hashed_and_a_short_one_kept_as_it_is() -> None:
    longest = webhooks.parse("sms_inbound", query="message_id=" + "M" * 188)
    assert webhooks.dedup_key("sms_inbound", longest) == "sms_inbound:" + "M" * 188
    keys = {
        webhooks.dedup_key("sms_inbound", webhooks.parse("sms_inbound", query=f"message_id={text}"))
        for text in ("M" * 189, "M" * 500_000, "M" * 500_001, "%0A" * 100)
    }
    assert len(keys) == 4
    for key in keys:
        assert key is not None and key.startswith("sms_inbound:blake2b=") and len(key) == 84


async def test_long_message_ids_keep_the_store_small() -> None:
    """A hostile sender's 120 pushes with 500 000-character message_ids: the store keeps 120 short keys (it
    held each whole: 60 MB here, 343 MiB from pushes whose percent-encoding tripled them)."""
    store = webhooks.MemoryDedupStore()
    receiver = _Receiver("sms_inbound", lambda push: None, None, store)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(120):
            message_id = f"{number:03}" + "M" * 499_997

            async def body(message_id: str = message_id) -> bytes:
                return urlencode({"message_id": message_id}).encode()

            assert (await receiver.receive(body, FORM, "")).status == 200
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(store) == 120 and held < 1024 * 1024


# ---- the aiohttp receiver, over a real loopback server ----


class Recorder:
    """A handler that records each push, and fails the first ``failures`` times."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.pushes: list[Any] = []
        self.calls = 0
        self.failures = failures
        self.delay = delay

    async def __call__(self, push: Any) -> None:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.calls <= self.failures:
            raise RuntimeError("the database is down")
        self.pushes.append(push)


@asynccontextmanager
async def aiohttp_server(
    routes: Mapping[str, Callable[[web.Request], Awaitable[web.StreamResponse]]],
    access_log: logging.Logger | None = None,
) -> AsyncIterator[str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=access_log)
    await runner.setup()
    listener = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        await runner.cleanup()


async def push(
    session: aiohttp.ClientSession,
    url: str,
    kind: str,
    webhook_type: str,
    fields: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Send a push as ClickSend does for ``webhook_type``; the status and text of the answer."""
    fields = DOCUMENTED[kind] if fields is None else fields
    if webhook_type == "get":
        request = session.get(url, params=fields)
    elif webhook_type == "post":
        request = session.post(url, data=fields)  # aiohttp sends a dict as a urlencoded form
    else:
        request = session.post(url, json=fields)
    async with request as answer:
        return answer.status, await answer.text()


@pytest.mark.parametrize("webhook_type", ["post", "get", "json"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_retry_storm_runs_the_handler_once(kind: Kind, webhook_type: str) -> None:
    handler = Recorder()
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver(kind, handler)}) as root,
        aiohttp.ClientSession() as session,
    ):
        answers = [await push(session, f"{root}/hook", kind, webhook_type) for _ in range(10)]
    assert answers == [(200, "OK")] * 10
    assert handler.calls == 1
    assert handler.pushes[0].model_dump(by_alias=True) == read_back(kind)


async def test_concurrent_retries_run_the_handler_once() -> None:
    handler = Recorder(delay=0.05)
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler)
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        answers = await asyncio.gather(
            *(push(session, f"{root}/hook", "sms_inbound", "post") for _ in range(10))
        )
    assert answers == [(200, "OK")] * 10 and handler.calls == 1


class Gate:
    """A handler that runs until released, and fails the first ``failures`` times."""

    def __init__(self, failures: int = 0) -> None:
        self.calls = 0
        self.failures = failures
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, push: Any) -> None:
        self.calls += 1
        self.entered.set()
        await self.release.wait()
        if self.calls <= self.failures:
            raise RuntimeError("the database is down")


class WatchedStore(webhooks.MemoryDedupStore):
    """A memory store that says when a duplicate starts waiting for its original."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def outcome(self, key: str) -> bool:
        self.waiting.set()
        return await super().outcome(key)


@pytest.mark.parametrize(("failures", "answer"), [(0, (200, "OK")), (1, (500, "Internal Server Error"))])
async def test_a_push_that_comes_again_while_handled_is_answered_as_the_original(
    failures: int, answer: tuple[int, str]
) -> None:
    handler, store = Gate(failures), WatchedStore()
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler, store=store)
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        original = asyncio.create_task(push(session, f"{root}/hook", "sms_inbound", "post"))
        await asyncio.wait_for(handler.entered.wait(), 30)
        duplicate = asyncio.create_task(push(session, f"{root}/hook", "sms_inbound", "json"))
        waiting = asyncio.create_task(store.waiting.wait())
        await asyncio.wait([duplicate, waiting], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        answered_first, waited = duplicate.done(), waiting.done()
        waiting.cancel()
        handler.release.set()
        assert waited and not answered_first  # no answer before the original's
        assert await original == await duplicate == answer
        assert await push(session, f"{root}/hook", "sms_inbound", "get") == (200, "OK")  # the next retry
    assert handler.calls == 1 + failures


async def test_a_push_that_comes_again_waits_for_its_original_a_bounded_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Gate()
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler, duplicate_wait=0.2)
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        original = asyncio.create_task(push(session, f"{root}/hook", "sms_inbound", "post"))
        await asyncio.wait_for(handler.entered.wait(), 30)
        with caplog.at_level(logging.WARNING, logger="aioclicksend"):
            duplicate = await asyncio.wait_for(push(session, f"{root}/hook", "sms_inbound", "post"), 30)
        assert duplicate == (500, "Internal Server Error") and "for over 0.2 s" in caplog.text
        handler.release.set()
        assert await original == (200, "OK")
        assert await push(session, f"{root}/hook", "sms_inbound", "post") == (200, "OK")
    assert handler.calls == 1


async def test_a_new_status_of_the_same_message_is_not_a_retry() -> None:
    handler = Recorder()
    delivered = DOCUMENTED["sms_receipt"]
    undelivered = {**delivered, "status": "Undelivered"}
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver("sms_receipt", handler)}) as root,
        aiohttp.ClientSession() as session,
    ):
        for fields in (delivered, undelivered, delivered, undelivered):
            assert await push(session, f"{root}/hook", "sms_receipt", "post", fields) == (200, "OK")
    assert [received.status for received in handler.pushes] == ["Delivered", "Undelivered"]


async def test_a_failing_handler_answers_500_and_the_retry_is_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Recorder(failures=2)
    store = webhooks.MemoryDedupStore()
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler, store=store)
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        with caplog.at_level(logging.ERROR, logger="aioclicksend"):
            answers = [await push(session, f"{root}/hook", "sms_inbound", "post") for _ in range(5)]
    assert [status for status, _ in answers] == [500, 500, 200, 200, 200]
    assert "database" not in answers[0][1]  # the handler's error stays in the log
    assert handler.calls == 3 and len(handler.pushes) == 1
    assert "sms_inbound:C557B56E-83C0-4070-A74C-9BF05474B418" in store
    assert "the handler of a sms_inbound push raised" in caplog.text
    assert "Liquorice" not in caplog.text  # no push content in the log


async def test_a_push_with_some_of_its_key_fields_is_handled_each_time() -> None:
    handler = Recorder()
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver("sms_receipt", handler)}) as root,
        aiohttp.ClientSession() as session,
    ):
        for _ in range(3):
            answer = await push(session, f"{root}/hook", "sms_receipt", "post", {"message_id": "M1"})
            assert answer == (200, "OK")
    assert handler.calls == 3


async def test_json_labelled_a_form_answers_400_so_clicksend_sends_it_again() -> None:
    handler = Recorder()
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver("sms_inbound", handler)}) as root,
        aiohttp.ClientSession() as session,
        session.post(f"{root}/hook", data=as_json("sms_inbound"), headers={"Content-Type": FORM}) as answer,
    ):
        assert answer.status == 400 and "message_id" in await answer.text()
    assert handler.calls == 0


async def test_malformed_pushes_answer_400_and_other_methods_405() -> None:
    handler = Recorder()
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver("sms_receipt", handler)}) as root,
        aiohttp.ClientSession() as session,
    ):
        status, text = await push(
            session, f"{root}/hook", "sms_receipt", "post", {"message_id": "M1", "timestamp": "soon"}
        )
        assert status == 400 and "timestamp" in text and "soon" not in text
        async with session.post(
            f"{root}/hook", data=b"{oops", headers={"Content-Type": "application/json"}
        ) as answer:
            assert answer.status == 400
        async with session.post(
            f"{root}/hook", data=io.BytesIO(b"x" * (webhooks.MAX_BODY + 1)), headers={"Content-Type": FORM}
        ) as answer:
            assert answer.status == 400 and "larger than" in await answer.text()
        async with session.put(f"{root}/hook", data=urlencode(DOCUMENTED["sms_receipt"])) as answer:
            assert answer.status == 405 and answer.headers["Allow"] == "GET, POST"
    assert handler.calls == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"message_id=M1&a%0D%0AFORGED=1&a%0D%0AFORGED=2", FORM),
        (b'{"message_id": "M1", "a\\r\\nFORGED\\u2028": 1, "a\\r\\nFORGED\\u2028": 2}', "application/json"),
    ],
)
async def test_a_push_cannot_forge_a_log_line(
    body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = _Receiver("sms_inbound", Recorder(), None, None)

    async def read() -> bytes:
        return body

    with caplog.at_level(logging.DEBUG, logger="aioclicksend"):
        assert (await receiver.receive(read, content_type, "")).status == 400
    (record,) = caplog.records
    logged = logging.Formatter().format(record)
    assert "FORGED" in logged and not any(char in logged for char in "\r\n\u2028")
    assert "\\n" in logged


async def test_a_failing_store_answers_500() -> None:
    class BrokenStore:
        async def seen(self, key: str) -> bool:
            raise ConnectionError("redis is away")

        async def done(self, key: str) -> None:
            raise AssertionError("nothing handled")

        async def forget(self, key: str) -> None:
            raise AssertionError("nothing to forget")

        async def outcome(self, key: str) -> bool:
            raise AssertionError("nothing seen")

    handler = Recorder()
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler, store=BrokenStore())
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        assert (await push(session, f"{root}/hook", "sms_inbound", "post"))[0] == 500
    assert handler.calls == 0


async def test_a_push_cancelled_after_the_store_recorded_it_is_handled_on_its_retry() -> None:
    class SlowStore(webhooks.MemoryDedupStore):
        """Records the key at once and answers late (a remote store: the reply still on its way)."""

        delay = 1.0

        async def seen(self, key: str) -> bool:
            known = await super().seen(key)
            await asyncio.sleep(self.delay)
            return known

    handler, store = Recorder(), SlowStore()
    receiver = _Receiver("sms_inbound", handler, None, store)

    async def body() -> bytes:
        return b"message_id=M1&from=%2B61411111111"

    first = asyncio.create_task(receiver.receive(body, FORM, ""))
    await asyncio.sleep(0.1)
    first.cancel()  # the request went away (or the server is stopping) before it was handled
    await asyncio.gather(first, return_exceptions=True)
    store.delay = 0
    assert (await receiver.receive(body, FORM, "")).status == 200  # ClickSend's retry
    assert handler.calls == 1


async def test_a_body_not_in_its_content_encoding_answers_400() -> None:
    handler = Recorder()
    async with (
        aiohttp_server({"/hook": webhooks.aiohttp_receiver("sms_inbound", handler)}) as root,
        aiohttp.ClientSession() as session,
        session.post(
            f"{root}/hook",
            data=b"message_id=M1",
            headers={"Content-Type": FORM, "Content-Encoding": "gzip"},
        ) as answer,
    ):
        assert answer.status == 400
    assert handler.calls == 0


@pytest.mark.parametrize("webhook_type", ["post", "get", "json"])
async def test_the_secret_in_the_query(webhook_type: str) -> None:
    handler = Recorder()
    receiver = webhooks.aiohttp_receiver("sms_inbound", handler, secret="s3cret/+")
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        good = f"{root}/hook?secret=s3cret%2F%2B"
        for url in (
            f"{root}/hook",
            f"{root}/hook?secret=wrong",
            f"{root}/hook?secret=s3cret",
            f"{good}&secret=s3cret%2F%2B",
        ):
            assert await push(session, url, "sms_inbound", webhook_type) == (403, "Forbidden")
        assert handler.calls == 0
        assert await push(session, good, "sms_inbound", webhook_type) == (200, "OK")
    assert handler.calls == 1
    assert handler.pushes[0].model_extra == {}  # the secret is the URL's, not a field of the push


async def test_the_secret_as_a_path_part() -> None:
    handler = Recorder()
    receiver = webhooks.aiohttp_receiver("fax_receipt", handler, secret="s3cret")
    async with aiohttp_server({"/hooks/{secret}/fax": receiver}) as root, aiohttp.ClientSession() as session:
        assert (await push(session, f"{root}/hooks/wrong/fax?secret=s3cret", "fax_receipt", "post"))[0] == 403
        assert await push(session, f"{root}/hooks/s3cret/fax", "fax_receipt", "post") == (200, "OK")
    assert handler.calls == 1


def readme_snippet(needle: str) -> str:
    """The README's Python block that holds ``needle``, as it is indented there."""
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", (ROOT / "README.md").read_text(), re.M | re.S)
    (found,) = [textwrap.dedent(code) for _, code in blocks if needle in code]
    return found


async def test_the_readmes_filter_keeps_the_secret_out_of_the_access_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cret+é~" + secrets.token_urlsafe(8)  # written differently by each client and server
    access_log = logging.getLogger("aiohttp.access")
    exec(readme_snippet("SecretFilter"), {"SECRET": secret})  # adds the filter to aiohttp's access log
    (added,) = [known for known in access_log.filters if isinstance(known, webhooks.SecretFilter)]
    receiver = webhooks.aiohttp_receiver("sms_inbound", Recorder(), secret=secret)
    routes = {"/query": receiver, "/path/{secret}": receiver}
    try:
        async with (
            aiohttp_server(routes, access_log=access_log) as root,
            aiohttp.ClientSession(headers={"Referer": f"{root}/path/{secret}"}) as session,
        ):
            with caplog.at_level(logging.INFO, logger="aiohttp.access"):
                for url in (f"{root}/query?secret={quote(secret, safe='')}", f"{root}/path/{quote(secret)}"):
                    assert await push(session, url, "sms_inbound", "get") == (200, "OK")
                    assert await push(session, url, "sms_inbound", "post") == (200, "OK")
    finally:
        access_log.removeFilter(added)
    assert len(caplog.records) == 4
    for record in caplog.records:
        logged = f"{logging.Formatter().format(record)} {vars(record)}"
        assert "/path/***" in record.getMessage() or "secret=***" in record.getMessage()
        assert "s3cret" not in logged and secret[-8:] not in logged


def test_the_secret_filter_masks_an_access_log_line_with_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/clicksend/sms?secret=s%2fcr%C3%a9t+1&b=s/cré", "1.1", 200), None,
    )  # fmt: skip
    assert webhooks.SecretFilter("other", "s/crét 1", "s/cré").filter(record) is True
    assert record.getMessage() == '127.0.0.1:5000 - "POST /clicksend/sms?secret=***&b=*** HTTP/1.1" 200'
    unfit = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%d", ("/h?secret=s%2Fcret",), None
    )
    assert webhooks.SecretFilter("s/cret").filter(unfit) is True and unfit.args == ("/h?secret=***",)
    for wrong in ((), ("",), (None,)):
        with pytest.raises(ValueError, match="non-empty secrets"):
            webhooks.SecretFilter(*wrong)


async def test_a_plain_function_can_handle_pushes_too() -> None:
    received: list[Any] = []
    receiver = webhooks.aiohttp_receiver("sms_inbound", received.append)
    async with aiohttp_server({"/hook": receiver}) as root, aiohttp.ClientSession() as session:
        for _ in range(3):
            assert await push(session, f"{root}/hook", "sms_inbound", "get") == (200, "OK")
        assert (await session.get(f"{root}/hook")).status == 400  # an empty GET: not a push
    assert len(received) == 1


def test_a_receiver_checks_its_settings_when_made() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        webhooks.aiohttp_receiver("sms", Recorder())  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="secret"):
        webhooks.starlette_endpoint("sms_inbound", Recorder(), secret="")
    with pytest.raises(TypeError, match="handler"):
        webhooks.aiohttp_receiver("sms_inbound", None)  # type: ignore[call-overload]

    class StoreOfOld:  # no done, no outcome: a push in flight could never be answered as its original
        async def seen(self, key: str) -> bool:
            return False

        async def forget(self, key: str) -> None:
            pass

    with pytest.raises(TypeError, match="seen, done, forget and outcome"):
        webhooks.starlette_endpoint("sms_inbound", Recorder(), store=StoreOfOld())  # type: ignore[call-overload]
    for wait in (0, -1, float("inf"), float("nan"), True, "20"):
        with pytest.raises(ValueError, match="duplicate_wait"):
            webhooks.aiohttp_receiver("sms_inbound", Recorder(), duplicate_wait=wait)  # type: ignore[call-overload]


async def test_from_aiohttp_in_a_handler_of_your_own() -> None:
    received: list[Any] = []

    async def own(request: web.Request) -> web.Response:
        try:
            received.append(await webhooks.from_aiohttp(request, "voice_receipt"))
        except WebhookError as error:
            return web.Response(status=422, text=str(error.field))
        return web.Response(text="thanks")

    async with aiohttp_server({"/own": own}) as root, aiohttp.ClientSession() as session:
        assert await push(session, f"{root}/own", "voice_receipt", "get") == (200, "thanks")
        assert await push(session, f"{root}/own", "voice_receipt", "json") == (200, "thanks")
        assert await push(session, f"{root}/own", "voice_receipt", "post", {"user_id": "x"}) == (
            422,
            "user_id",
        )
    assert [item.model_dump(by_alias=True) for item in received] == [read_back("voice_receipt")] * 2


# ---- the Starlette endpoint, through httpx's ASGI transport ----


@asynccontextmanager
async def starlette_client(routes: list[Route]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://clicksend.test") as client:
        yield client


async def send(client: httpx.AsyncClient, url: str, kind: str, webhook_type: str) -> httpx.Response:
    if (
        webhook_type == "get"
    ):  # the push's variables after the URL's own query (httpx's params would replace it)
        return await client.get(url + ("&" if "?" in url else "?") + urlencode(DOCUMENTED[kind]))
    if webhook_type == "post":
        return await client.post(url, data=DOCUMENTED[kind])
    return await client.post(url, content=as_json(kind), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("webhook_type", ["post", "get", "json"])
@pytest.mark.parametrize("kind", KINDS)
async def test_the_starlette_endpoint_handles_a_retried_push_once(kind: Kind, webhook_type: str) -> None:
    handler = Recorder()
    endpoint = webhooks.starlette_endpoint(kind, handler)
    async with starlette_client([Route("/hook", endpoint, methods=["GET", "POST"])]) as client:
        answers = [await send(client, "/hook", kind, webhook_type) for _ in range(10)]
    assert [(answer.status_code, answer.text) for answer in answers] == [(200, "OK")] * 10
    assert handler.calls == 1 and handler.pushes[0].model_dump(by_alias=True) == read_back(kind)


async def test_the_starlette_endpoint_answers_as_the_aiohttp_receiver() -> None:
    handler = Recorder(failures=1)
    query_secret = webhooks.starlette_endpoint("sms_inbound", handler, secret="s3cret")
    path_secret = webhooks.starlette_endpoint("sms_receipt", Recorder(), secret="s3cret")
    routes = [
        Route("/hook", query_secret, methods=["GET", "POST", "PUT"]),
        Route("/hooks/{secret}/receipts", path_secret, methods=["POST"]),
    ]
    async with starlette_client(routes) as client:
        assert (await send(client, "/hook", "sms_inbound", "post")).status_code == 403
        assert (await send(client, "/hook?secret=nope", "sms_inbound", "post")).status_code == 403
        assert (await send(client, "/hook?secret=s3cret", "sms_inbound", "get")).status_code == 500
        assert (await send(client, "/hook?secret=s3cret", "sms_inbound", "get")).text == "OK"
        assert (await send(client, "/hook?secret=s3cret", "sms_inbound", "json")).text == "OK"
        bad = await client.post(
            "/hook?secret=s3cret", content=b"[1]", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400 and "not an object" in bad.text
        assert (await client.put("/hook?secret=s3cret", data=DOCUMENTED["sms_inbound"])).status_code == 405
        assert (await send(client, "/hooks/nope/receipts", "sms_receipt", "post")).status_code == 403
        assert (await send(client, "/hooks/s3cret/receipts", "sms_receipt", "post")).text == "OK"
        too_large = await client.post("/hook?secret=s3cret", content=b"a" * (webhooks.MAX_BODY + 1))
        assert too_large.status_code == 400
    assert handler.calls == 2 and handler.pushes[0].model_extra == {}


async def test_from_starlette_in_an_endpoint_of_your_own() -> None:
    from starlette.responses import PlainTextResponse

    async def own(request: Request) -> PlainTextResponse:
        received = await webhooks.from_starlette(request, "sms_inbound")
        assert isinstance(received, models.InboundSmsPush)
        return PlainTextResponse(received.from_ or "")

    async with starlette_client([Route("/own", own, methods=["POST"])]) as client:
        assert (await send(client, "/own", "sms_inbound", "post")).text == "+61411111111"


# ---- codegen: the spec's webhooks, bundled and read ----


def scratch_webhook(payload: str = "Push", dedup: list[str] | None = None) -> dict[str, Any]:
    body = {"schema": {"$ref": f"#/components/schemas/{payload}"}}
    return {
        "x-docs-section": "Push Things",
        "x-sdk-dedup-key": dedup or ["id"],
        "post": {"requestBody": {"content": {FORM: body}}, "responses": {"200": {"description": "OK"}}},
    }


def test_codegen_reads_the_webhooks_and_names_the_faulty_one() -> None:
    schemas = {"Push": {"type": "object", "properties": {"id": {"type": "string"}}}}
    spec: dict[str, Any] = {"webhooks": {"thing": scratch_webhook()}, "components": {"schemas": schemas}}
    (read,) = read_webhooks(spec)
    assert (read.kind, read.payload, read.dedup_key, read.formats) == ("thing", "Push", ("id",), ("post",))
    spec["webhooks"]["thing"] = scratch_webhook(dedup=["id", "status"])
    with pytest.raises(SpecError, match=r"webhooks\.thing: x-sdk-dedup-key"):
        read_webhooks(spec)
    spec["webhooks"] = {"Thing": scratch_webhook()}
    with pytest.raises(SpecError, match="lower_snake_case"):
        read_webhooks(spec)
    spec["webhooks"] = {"models": scratch_webhook()}
    with pytest.raises(SpecError, match=r"webhooks\.models: the kind would hide the table's own MODELS"):
        read_webhooks(spec)
    spec["webhooks"] = {"thing": scratch_webhook()}
    spec["webhooks"]["thing"]["post"]["requestBody"]["content"]["text/xml"] = {}
    with pytest.raises(SpecError, match=r"webhooks\.thing: post's requestBody"):
        read_webhooks(spec)


def test_the_bundle_merges_webhooks_and_refuses_one_defined_twice(tmp_path: Path) -> None:
    root = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    (tmp_path / "resources").mkdir()
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(root))
    (tmp_path / "resources" / "a.yaml").write_text(yaml.safe_dump({"webhooks": {"thing": scratch_webhook()}}))
    assert list(bundle(tmp_path)["webhooks"]) == ["thing"]
    (tmp_path / "resources" / "b.yaml").write_text(yaml.safe_dump({"webhooks": {"thing": {"post": {}}}}))
    with pytest.raises(SpecError, match=r"b\.yaml: webhooks\.thing\.post is already defined"):
        bundle(tmp_path)
    (tmp_path / "resources" / "b.yaml").unlink()
    (tmp_path / "resources" / "a.yaml").unlink()
    assert "webhooks" not in bundle(tmp_path)  # a spec without pushes bundles as before


def test_the_public_names() -> None:
    assert aioclicksend.WebhookError is webhooks.WebhookError
    assert set(webhooks.__all__) <= set(dir(webhooks))
    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None


async def test_a_fastapi_app_receives_pushes_as_the_readme_shows() -> None:
    """The README's FastAPI lines: the endpoint mounted with ``add_route``, and ``from_starlette`` in a
    route of the app's own, each for every ``webhook_type``."""
    inbound = Recorder()
    receipts: list[Any] = []
    app = FastAPI()
    app.add_route(
        "/clicksend/sms",
        webhooks.starlette_endpoint("sms_inbound", inbound, secret="s3cret"),
        ["GET", "POST"],
    )

    @app.api_route("/own/receipts", methods=["GET", "POST"])
    async def own(request: Request) -> dict[str, str]:
        receipts.append(await webhooks.from_starlette(request, "sms_receipt"))
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clicksend.test") as client:
        for webhook_type in ("post", "get", "json"):
            answer = await send(client, "/clicksend/sms?secret=s3cret", "sms_inbound", webhook_type)
            assert (answer.status_code, answer.text) == (200, "OK")
            assert (await send(client, "/own/receipts", "sms_receipt", webhook_type)).json() == {"ok": "yes"}
        assert (await send(client, "/clicksend/sms?secret=no", "sms_inbound", "post")).status_code == 403
    assert inbound.calls == 1 and inbound.pushes[0].model_dump(by_alias=True) == read_back("sms_inbound")
    assert [push.model_dump(by_alias=True) for push in receipts] == [read_back("sms_receipt")] * 3
