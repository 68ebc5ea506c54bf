"""The sandbox answers like the docs' examples, operation by operation.

Every operation the sandbox answers from its state (sends, prices, history, receipts, inbound SMS, and
the items of every collection: created, listed, got, updated) is driven over HTTP against a running
sandbox, after creating what it reads, and its answer's data must have the same keys and the same JSON
types as the documented example of that operation (recursively, objects and the first item of lists).
A null where the example has a value is allowed only for a field the request did not give; and the
answer must be valid against the operation's response schema. ``EXCEPTIONS`` lists deliberate
deviations, each with its reason.

Then the behaviours behind the shapes: values from the request (never the example's), receipts only
once a schedule time has come, ClickSend's JSON envelope for unknown routes and methods, and a trailing
``/`` tolerated.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aioclicksend import AsyncClickSend
from aioclicksend._core.operation import Operation
from aioclicksend.sandbox import SandboxServer, _behaviours
from aioclicksend.sandbox._behaviours import BY_ID, CHANNELS, COLLECTIONS, SHAPE_OF, collection_of
from aioclicksend.sandbox._behaviours import handlers as registered
from aioclicksend.sandbox._openapi import pointer, validator
from aioclicksend.sandbox.clicksend import _base as clicksend_base

from ..support import operation_of, response_example

CONTACT_LISTS = collection_of(_behaviours.CONTACT_LISTS)
CONTACTS = collection_of(_behaviours.CONTACTS)
RETURN_ADDRESSES = collection_of(_behaviours.RETURN_ADDRESSES)

AUTH = {"Authorization": "Basic " + base64.b64encode(b"answers-user:answers-key").decode()}

EXCEPTIONS = {
    "ListMmsReceipts": "the docs show no example of it (nor of any MMS receipt): its items are shaped "
    "like the example of View SMS Receipts (ListSmsReceipts, compared instead), with _message_type mms",
}
"""Operations whose answer is deliberately not compared with their own example, and why."""

RENAMED = {
    "_file_url": ("file_url", "file_urls"),
    "letter_file_name": ("file_url", "file_urls"),
    "_media_file_url": ("media_file",),
    "from_email_address_id": ("email_address_id",),
    "from_name": ("name",),
    "_attachments": ("attachments",),
}
"""Answer fields that carry a request field of another name."""

MADE_UP = {"CreateTestInboundSms", "ListInboundSms", "GetInboundSms"}
"""Operations whose answers the sandbox makes up rather than echoes: a test inbound SMS is a reply (from
the number the last SMS went to, with a body of its own)."""

CHANGED = {"list_id", "contact_id", "status", "message_id"}
"""Fields whose answer value need not be one a request gave: a contact copied or moved to another list,
ids the sandbox makes, statuses it sets (the request's ``status`` filter is not the item's)."""


def request_example(operation: Operation[Any]) -> Any:
    body = operation_of(operation).get("requestBody")
    return (body or {}).get("content", {}).get("application/json", {}).get("example")


class Driver:
    """Calls operations of the sandbox by plain HTTP and keeps what it sent."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        self.sent: dict[str, set[str]] = {}
        """Every scalar value each field name was given in a request (as text), at any depth."""

    def note(self, value: Any, name: str = "") -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                self.note(inner, key)
        elif isinstance(value, list):
            for inner in value:
                self.note(inner, name)
        elif name:
            self.sent.setdefault(name, set()).add(str(value))

    async def answer(self, operation: Operation[Any], path_values: dict[str, Any], body: Any = None) -> Any:
        """The whole JSON answer of one operation (it must succeed)."""
        self.note({**path_values, **(body if isinstance(body, dict) else {})})
        url = self.base_url + operation.path.format(**path_values)
        async with self.session.request(operation.method, url, json=body) as response:
            answer = await response.json()
            assert response.status == 200, (operation.id, answer)
        return answer

    async def data(self, operation: Operation[Any], path_values: dict[str, Any], body: Any = None) -> Any:
        answer = await self.answer(operation, path_values, body)
        return answer["data"] if operation.envelope else answer

    async def create(self, collection: _behaviours.Collection) -> dict[str, Any]:
        """A new item of the collection (and of the list it lives in): its path values."""
        creates = BY_ID[collection.creates]
        parents: dict[str, Any] = {}
        if any(parameter.location == "path" for parameter in creates.parameters):  # a contact, in a list
            parents = await self.create(CONTACT_LISTS)
        item = await self.data(creates, parents, request_example(creates) or {})
        return {**parents, collection.id_parameter: item[collection.id_field]}

    async def body(self, operation: Operation[Any]) -> Any:
        """The operation's documented request body; a return address it names is created first."""
        body = json.loads(json.dumps(request_example(operation)))
        for recipient in body.get("recipients", []) if isinstance(body, dict) else []:
            if "return_address_id" in recipient:
                recipient["return_address_id"] = (await self.create(RETURN_ADDRESSES))["return_address_id"]
        return body

    async def send(self, operation_id: str, **changes: Any) -> str:
        """Sends the documented example of a send (its first message changed by ``changes``): the first
        message's id."""
        send = BY_ID[operation_id]
        assert send.bulk is not None and send.messages is not None
        body = await self.body(send)
        body[send.messages.items][0].update(changes)
        data = await self.data(send, {}, body)
        return str(data[send.bulk.results][0]["message_id"])

    async def prepare(self, operation: Operation[Any]) -> dict[str, Any]:
        """Creates what the operation reads; its path values."""
        if operation.id == CONTACTS.creates:
            return await self.create(CONTACT_LISTS)
        for collection in COLLECTIONS:
            if operation.id in (collection.lists, collection.gets, collection.updates, collection.deletes):
                values = await self.create(collection)
                if operation.id == collection.lists:
                    values.pop(collection.id_parameter)
                return values
        if operation.id in ("CopyContact", "TransferContact"):
            contact = await self.create(CONTACTS)
            target = await self.create(CONTACT_LISTS)
            return {
                "from_list_id": contact["list_id"],
                "contact_id": contact["contact_id"],
                "to_list_id": target["list_id"],
            }
        for channel in CHANNELS:
            send = BY_ID[channel.send]
            assert send.bulk is not None
            if operation.id in (send.bulk.history.id, channel.receipts):
                await self.send(channel.send)
            if operation.id in (channel.receipt, channel.cancel):
                return {"message_id": await self.send(channel.send)}
        if operation.id == "ListEmailHistory":
            await self.data(BY_ID["SendEmail"], {}, request_example(BY_ID["SendEmail"]))
        if operation.id in ("ListInboundSms", "GetInboundSms"):
            await self.send("SendSms")
            inbound = await self.data(BY_ID["CreateTestInboundSms"], {}, {"url": "https://example.com/in"})
            return {"original_message_id": inbound["original_message_id"]}
        return {}


@pytest.fixture
async def driver(sandbox: tuple[SandboxServer, AsyncClickSend]) -> AsyncIterator[Driver]:
    server, _ = sandbox
    async with aiohttp.ClientSession(headers=AUTH) as session:
        yield Driver(session, server.base_url)


# --- same keys, same JSON types -------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "null")


def given_fields(body: Any, path_values: dict[str, Any]) -> set[str]:
    """The names of every field the request gave (in its body, at any depth, and its path)."""
    names = set(path_values)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                names.add(key)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(body)
    return names


def differences(answer: Any, example: Any, given: set[str], where: str = "data") -> list[str]:
    """How the answer differs from the example in keys and JSON types (the first item of lists)."""
    if example is None:
        return []
    key = where.rsplit(".", 1)[-1]
    if answer is None:
        names = {key, *RENAMED.get(key, ())}
        return (
            [f"{where}: null where the docs show a value, yet the request gave it"] if names & given else []
        )
    if json_type(answer) != json_type(example):
        return [
            f"{where}: {json_type(answer)} {answer!r} where the docs show {json_type(example)} {example!r}"
        ]
    problems = []
    if isinstance(example, dict):
        missing, extra = sorted(example.keys() - answer.keys()), sorted(answer.keys() - example.keys())
        if missing or extra:
            problems.append(f"{where}: keys missing {missing}, not in the docs {extra}")
        for name in example.keys() & answer.keys():
            problems += differences(answer[name], example[name], given, f"{where}.{name}")
    elif isinstance(example, list) and example and answer:
        problems += differences(answer[0], example[0], given, f"{where}[0]")
    return problems


def not_as_sent(answer: Any, sent: dict[str, set[str]], where: str = "data") -> list[str]:
    """Fields of the answer (at any depth) whose value is none of those the requests gave that field."""
    problems = []
    if isinstance(answer, dict):
        for key, value in answer.items():
            if isinstance(value, (dict, list)):
                problems += not_as_sent(value, sent, f"{where}.{key}")
            elif value is not None and key in sent and key not in CHANGED and str(value) not in sent[key]:
                problems.append(
                    f"{where}.{key}: {value!r}, though the requests gave only {sorted(sent[key])}"
                )
    elif isinstance(answer, list):
        for index, item in enumerate(answer):
            problems += not_as_sent(item, sent, f"{where}[{index}]")
    return problems


def documented_data(operation: Operation[Any]) -> Any:
    example = response_example(BY_ID[SHAPE_OF.get(operation.id, operation.id)])
    return example.get("data") if operation.envelope and isinstance(example, dict) else example


def check_schema(operation: Operation[Any], answer: Any) -> None:
    """The answer is valid against the operation's response schema (if it declares a body)."""
    responses = operation_of(operation)["responses"]
    status = "200" if "200" in responses else "201"
    if "content" not in responses[status]:
        return
    where = pointer("paths", operation.path, operation.method.lower(), "responses", status)
    problems = [
        error.message for error in validator(where + "/content/application~1json/schema").iter_errors(answer)
    ]
    assert not problems, (operation.id, problems)


STATEFUL = sorted(registered())


@pytest.mark.parametrize("operation_id", STATEFUL)
async def test_every_stateful_answer_looks_like_the_docs_example(driver: Driver, operation_id: str) -> None:
    operation = BY_ID[operation_id]
    path_values = await driver.prepare(operation)
    body = await driver.body(operation)
    answer = await driver.answer(operation, path_values, body)
    check_schema(operation, answer)
    data = answer["data"] if operation.envelope else answer
    example = documented_data(operation)
    if example == {}:  # the docs show nothing to compare with
        assert operation_id in EXCEPTIONS
        return
    if operation.paging is not None:  # a page: it must hold an item to compare
        assert data[operation.paging.items], operation_id
    assert differences(data, example, given_fields(body, path_values)) == []
    if operation_id not in MADE_UP:
        items = data[operation.paging.items] if operation.paging is not None else data
        assert not_as_sent(items, driver.sent) == []


def test_exceptions_are_operations_the_sandbox_answers() -> None:
    assert set(EXCEPTIONS) <= set(STATEFUL)
    for operation_id in EXCEPTIONS:
        assert operation_id in SHAPE_OF or documented_data(BY_ID[operation_id]) in (None, {})


# --- values from the request and the sandbox, never the example's -----------------------------------------


async def test_fields_not_given_are_null_not_the_docs_values(driver: Driver) -> None:
    voice = BY_ID["SendVoiceMessage"]
    message = {"to": "+61411111111", "body": "Your code is 1234", "voice": "female"}
    sent = await driver.data(voice, {}, {"messages": [message]})
    [result] = sent["messages"]
    assert (result["custom_string"], result["require_input"], result["to"]) == (None, 0, "+61411111111")
    assert result["lang"] == "en-us"  # the spec allows neither null nor "": the first language it lists
    assert isinstance(sent["total_price"], float) and sent["total_price"] > 0  # a number, as documented
    [listed] = (await driver.data(BY_ID["ListVoiceHistory"], {}))["data"]
    assert listed["custom_string"] is None and listed["message_id"] == result["message_id"]
    assert listed["date_added"] == result["date"] and listed["message_parts"] == "1.00"

    contacts = await driver.create(CONTACT_LISTS)
    contact = await driver.data(BY_ID["CreateContact"], contacts, {"phone_number": "+61411111111"})
    assert contact["email"] is None and contact["first_name"] is None  # not the docs' Ellen Diaz
    assert isinstance(contact["date_added"], str) and contact["_list_name"] == "ListCT3QrVL4od"


async def test_history_and_receipts_are_shaped_after_their_own_examples(driver: Driver) -> None:
    message_id = await driver.send("SendSms", custom_string="mine")
    entry, other = (await driver.data(BY_ID["ListSmsHistory"], {}))["data"]  # the example sends two
    assert entry["message_id"] == message_id and entry["custom_string"] == "mine"
    assert other["custom_string"] is None and other["to"] == "+61422222222"
    assert isinstance(entry["date"], str) and entry["message_parts"] == "1.00"
    assert entry["message_price"] == "0.077000" and entry["status"] == "Sent"
    receipt, _ = (await driver.data(BY_ID["ListSmsReceipts"], {}))["data"]
    assert receipt["_message_type"] == "sms" and "message_type" not in receipt
    assert receipt["timestamp"] == entry["date"] and receipt["custom_string"] == "mine"
    single = await driver.data(BY_ID["GetSmsReceipt"], {"message_id": message_id})
    assert single["message_type"] == "sms" and "_message_type" not in single


async def test_a_scheduled_message_is_receipted_when_its_time_comes(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_900_000_000
    monkeypatch.setattr(clicksend_base, "clock", lambda: now)
    message_id = await driver.send("SendSms", schedule=now + 600)
    receipts, history = BY_ID["ListSmsReceipts"], BY_ID["ListSmsHistory"]
    scheduled, at_once = (await driver.data(history, {}))["data"]  # the example's second is not scheduled
    assert (scheduled["status"], scheduled["schedule"], at_once["status"]) == (
        "Scheduled",
        str(now + 600),
        "Sent",
    )
    assert [receipt["message_id"] for receipt in (await driver.data(receipts, {}))["data"]] == [
        at_once["message_id"]
    ]
    async with driver.session.get(f"{driver.base_url}/sms/receipts/{message_id}") as response:
        assert response.status == 404
    now += 600
    receipt = await driver.data(BY_ID["GetSmsReceipt"], {"message_id": message_id})
    assert receipt["timestamp_send"] == str(now)
    assert (await driver.data(history, {}))["data"][0]["status"] == "Sent"

    cancelled = await driver.send("SendSms", schedule=now + 600)
    await driver.data(BY_ID["CancelSms"], {"message_id": cancelled})
    now += 3600
    receipted = [receipt["message_id"] for receipt in (await driver.data(receipts, {}))["data"]]
    assert message_id in receipted and cancelled not in receipted and len(receipted) == 3


# --- routes -----------------------------------------------------------------------------------------------


async def test_unknown_routes_and_methods_answer_a_json_envelope(driver: Driver) -> None:
    async with driver.session.get(f"{driver.base_url}/no-such-thing") as response:
        assert response.status == 404 and response.content_type == "application/json"
        answer = await response.json()
    assert answer["http_code"] == 404 and answer["response_code"] == "NOT_FOUND" and answer["data"] is None
    async with driver.session.delete(f"{driver.base_url}/sms/send") as response:
        assert response.status == 405 and response.headers["Allow"] == "POST"
        answer = await response.json()
    assert (answer["http_code"], answer["response_code"]) == (405, "METHOD_NOT_ALLOWED")


async def test_a_trailing_slash_is_tolerated(driver: Driver) -> None:
    async with driver.session.get(f"{driver.base_url}/referral/accounts/") as response:
        assert response.status == 200
    created = await driver.create(CONTACT_LISTS)
    async with driver.session.put(
        f"{driver.base_url}/lists/{created['list_id']}/remove-duplicates/", json={"fields": ["phone_number"]}
    ) as response:
        assert response.status == 200
    async with driver.session.get(f"{driver.base_url}/lists/{created['list_id']}/") as response:
        assert (await response.json())["data"]["list_id"] == created["list_id"]
