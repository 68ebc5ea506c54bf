"""What the sandbox does for ClickSend's operations: a registry of handlers by operationId
(:mod:`._framework`'s, shared with Kazoo's).

:func:`handlers` builds the registry from the message channels (a bulk send, its price and what else
the channel has), the stateful collections and a few single behaviours. The collections are not listed
but derived from the operation table (:func:`derive_collections`): a POST to a path creates the items
its GET lists and its ``/{id}`` path gets, updates and deletes; only what the sandbox makes or works
out for some of them is declared (``MADE``, ``SHOWN``). An operation the registry does not name answers
what the docs show; a behaviour for an operation the table lacks is left out with a warning.
Everything else about an operation comes from the table: paging style and items field, message rules,
bulk settings (the results, the price field and the history list, ``send.bulk.history``); page sizes
and part counts are the sandbox's own (the spec's parameter bounds, :mod:`._parts`).

What the sandbox keeps is plain values: what the request gave and what the sandbox made (a message's
id, price, time, status…). Every answer made from them is shaped after the documented answer of the
operation that answers (:mod:`._shapes`): the same keys and JSON types as the docs' example, values
from the request or the sandbox's state, null or empty for what neither has, never the example's own
values. So a message sent is answered like the send example, listed like the history example and
receipted like the receipt example. Receipts are worked out when read: a message is receipted once its
schedule time has come, unless it was cancelled first.

Why a registry and paths rather than ``x-sandbox`` markers in the spec: which channel a send lands in
is how this fake keeps its state, not a fact about ClickSend's API. The spec describes the API (for the
SDK, its docs and schemathesis) and stays free of test-double wiring; its REST paths already say which
operations share a collection, and the registry keeps the rest of the wiring in one reviewable place,
named by the spec's own operation ids.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._core.operation import Operation
from .._generated.operations import OPERATIONS
from . import _framework
from ._answers import TEST_ACCOUNTS, Refusal, envelope
from ._faults import Counters
from ._framework import logger, registry
from ._openapi import documented, parameter_schema
from ._parts import message_parts
from ._pushes import Pushes
from ._shapes import Shape, data_shape, item_shape
from ._store import History, Store, search_text

if TYPE_CHECKING:
    from ..webhooks import Kind

__all__ = ["BY_ID", "TEST_SMS_BODY", "Call", "Handler", "handlers", "receive_sms"]

BY_ID: dict[str, Operation[Any]] = {operation.id: operation for operation in OPERATIONS}
"""The operation table by operationId."""

MIN_PAGE_SIZE = 15  # the docs' Pagination section: 15 to 100 per page (the most is the spec's maximum)
E164 = re.compile(r"^\+?[1-9][0-9]{6,14}$")
PRICE_PER_PART = Decimal("0.0770")
PRICE_PER_EMAIL = Decimal("0.0050")
DELIVERED = ("201", "Success: Message received on handset.")
"""The status code and text of a delivery receipt (the docs' SMS Delivery Status Codes)."""
UNDELIVERABLE = re.compile(r"^\+?(?:1[2-9][0-9]{2}55501[0-9]{2}|6149157[0-9]{4})$")
"""Numbers set aside for fiction (North America's NXX-555-01XX, Australia's 0491 57X XXX): a message to
one is accepted, as ClickSend accepts any well-formed number, and its receipt says ``Undelivered``."""
UNDELIVERED = {
    "status": "Undelivered",
    "status_code": "301",
    "status_text": "Failed",
    "error_code": "8",
    "error_text": "Unknown subscriber: the number is inactive or invalid.",
}
"""An undelivered message's receipt fields: ClickSend's gateway error 8 (its help centre's list of SMS
gateway error codes; the reference documents only the fields)."""
COUNTRY_CODES = {
    "1": "US",
    "27": "ZA",
    "33": "FR",
    "44": "GB",
    "49": "DE",
    "61": "AU",
    "64": "NZ",
    "65": "SG",
}
"""Dialling codes → ISO country, for the ``country`` of a message to a number (others: unknown)."""
SHAPE_OF = {"ListMmsReceipts": "ListSmsReceipts"}
"""Operations the docs show no answer of, shaped like a sibling's: an MMS receipt like an SMS one."""


@dataclass(kw_only=True)
class Call(_framework.Call):
    """One checked ClickSend request: who sent it, and the sandbox's store, counters and pushes."""

    account: str
    store: Store
    counters: Counters
    pushes: Pushes

    def ok(self, data: Any) -> web.Response:
        if not self.operation.envelope:
            return web.json_response(data)
        return envelope(200, "SUCCESS", documented(self.operation).message, data)

    def render(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The operation's answer data, shaped after its documented answer."""
        return data_shape(self.operation).render(values)


Handler = Callable[[Call], web.Response]
"""What answers one operation."""


def _message_id() -> str:
    """A new message id, as ClickSend writes them: an upper-case UUID (random, without the version bits)."""
    text = os.urandom(16).hex().upper()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _now() -> int:
    """The sandbox's clock: unix time in seconds (tests may replace it)."""
    return int(time.time())


@functools.cache
def _the_account() -> dict[str, Any]:
    shown = documented(BY_ID["GetAccount"]).data if "GetAccount" in BY_ID else {}
    subaccount = shown.get("_subaccount") or {}
    return {
        "user_id": shown.get("user_id"),
        "subaccount_id": subaccount.get("subaccount_id"),
        "_currency": shown.get("_currency"),
    }


def _account(call: Call) -> dict[str, Any]:
    """The values every item of the account shares: the user and subaccount ids and currency of the
    account the sandbox answers Get Account with, and the API username of the request."""
    return {**_the_account(), "_api_username": call.account}


# --- paging ----------------------------------------------------------------------------------------------

Render = Callable[[dict[str, Any]], dict[str, Any]]


def _page_size(call: Call, name: str, least: int = 1) -> int:
    """The page size the query parameter ``name`` asks for, within its schema in the spec (its default when
    the query gives none, at most its maximum) and at least ``least``."""
    schema = parameter_schema(call.operation, name)
    asked: int = call.query.get(name) or schema.get("default") or least
    most: int = schema.get("maximum", asked)
    return max(min(asked, most), least)


def _numbered_page(
    call: Call, items: Sequence[dict[str, Any]], items_field: str, render: Render
) -> web.Response:
    """Numbered pages as ClickSend answers them: 15 to 100 per page, with the PageMeta fields."""
    page = call.query.get("page") or 1
    per_page = _page_size(call, "limit", least=MIN_PAGE_SIZE)
    last_page = max(1, math.ceil(len(items) / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    url = call.request.url

    def link(number: int) -> str | None:
        return str(url.update_query(page=number)) if 1 <= number <= last_page else None

    first = (page - 1) * per_page + 1 if chunk else None
    return call.ok(
        {
            "total": len(items),
            "per_page": per_page,
            "current_page": page,
            "last_page": last_page,
            "next_page_url": link(page + 1),
            "prev_page_url": link(page - 1) if page > 1 else None,
            "from": first,
            "to": first + len(chunk) - 1 if first is not None else None,
            items_field: [render(item) for item in chunk],
        }
    )


def _cursor_page(
    call: Call, items: Sequence[dict[str, Any]], items_field: str, render: Render
) -> web.Response:
    """Cursor pages as the alpha tag list answers them; here a cursor is the position of the page's first
    item, and a cursor the sandbox did not give reads as the end of the list."""
    offset = call.query.get("offset", "0")
    start = int(offset) if re.fullmatch("[0-9]{1,9}", offset) else len(items)
    size = _page_size(call, "page_size")
    url = call.request.url
    following = str(url.update_query(offset=str(start + size))) if start + size < len(items) else None
    return call.ok(
        {
            items_field: [render(item) for item in items[start : start + size]],
            "_metadata": {"pagination": {"self": str(url), "next": following, "page_size": size}},
        }
    )


def _listed_shape(operation: Operation[Any]) -> Shape:
    """The shape of an item of the operation's list."""
    return item_shape(BY_ID[SHAPE_OF.get(operation.id, operation.id)])


def _paged(call: Call, items: Sequence[dict[str, Any]], values: Render | None = None) -> web.Response:
    """The items a page at a time, as the operation's paging style (from the table) says, each shaped
    after the documented item (``values`` first gives what an item shows); only a page's items are read."""
    operation = call.operation
    shape = _listed_shape(operation)

    def render(item: dict[str, Any]) -> dict[str, Any]:
        return shape.render(item if values is None else values(item))

    paging = operation.paging
    if paging is None:
        shown = documented(operation).data
        if isinstance(shown, dict):  # the items in an object the table does not page (default senders)
            field = next(key for key, value in shown.items() if isinstance(value, list))
            per_page = _page_size(call, "per_page")
            listed = {
                field: [item if values is None else values(item) for item in items],
                "per_page": per_page,
            }
            return call.ok(call.render({**listed, "self_page_url": str(call.request.url)}))
        return call.ok([render(item) for item in items])
    page = _cursor_page if paging.style == "cursor" else _numbered_page
    return page(call, items, paging.items, render)


# --- messages ------------------------------------------------------------------------------------------


def _moment(value: Any) -> int | None:
    """A unix time given as an int or numeric text; None for none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _due_at(message: dict[str, Any]) -> int:
    """When a message goes out: its schedule, or when it was sent."""
    scheduled = _moment(message.get("schedule"))
    sent: int = message["date"]
    return scheduled if scheduled is not None and scheduled > sent else sent


def _as_listed(message: dict[str, Any], now: int) -> dict[str, Any]:
    """A sent message as its history shows it now: cancelled, still scheduled, or sent and receipted."""
    if message.get("cancelled"):
        return {**message, "status": "Cancelled"}
    if _due_at(message) > now:
        return {**message, "status": "Scheduled"}
    if _undeliverable(message):
        return {**message, **UNDELIVERED, "status": "Failed"}
    return {**message, "status": "Sent", "status_code": DELIVERED[0], "status_text": DELIVERED[1]}


def _undeliverable(message: dict[str, Any]) -> bool:
    to = message.get("to")
    return isinstance(to, str) and UNDELIVERABLE.match(to) is not None


def _history(channel: str, *, delivered: bool = True) -> Handler:
    """A channel's history, by the date range and the search the query gives; ``delivered``: its messages
    go through scheduling and delivery (``_as_listed``), unlike emails, listed as they were queued."""

    def history(call: Call) -> web.Response:
        now = _now()
        values = (lambda message: _as_listed(message, now)) if delivered else None
        return _paged(call, _searched(call, call.store.history.get(channel), values), values)

    return history


def _conditions(q: str) -> list[tuple[str, str]]:
    """A ``q`` search's ``field:value`` pairs (split at their first colon), in any case (the spec's
    pattern for ``q``, checked before, makes each pair hold a colon)."""
    pairs = [pair.partition(":") for pair in q.split(",")] if q else []
    return [(field.strip().casefold(), value.casefold()) for field, _, value in pairs]


def _searched(call: Call, history: History | None, values: Render | None) -> Sequence[dict[str, Any]]:
    """The history's messages in the query's date range that its ``q`` search matches: a message shows
    each condition's field with that value as text (with ``operator=OR``, any of them). ``custom_string``
    conditions are looked up in the history's index, others tried on each message of the range."""
    conditions = _conditions(call.query.get("q", ""))
    if history is None:
        return ()
    dated = functools.partial(history.dated, call.query.get("date_from"), call.query.get("date_to"))
    if not conditions:
        return dated()
    shown = set(_listed_shape(call.operation).keys)
    if call.query.get("operator") == "OR":
        known = [(field, value) for field, value in conditions if field in shown]
        if known and all(field == "custom_string" for field, _ in known):
            return dated([value for _, value in known])
        return _matching(dated(), known, any, values)
    if any(field not in shown for field, _ in conditions):
        return ()
    indexed = next((condition for condition in conditions if condition[0] == "custom_string"), None)
    if indexed is None:
        return _matching(dated(), conditions, all, values)
    return _matching(
        dated([indexed[1]]), [condition for condition in conditions if condition != indexed], all, values
    )


def _matching(
    items: Sequence[dict[str, Any]],
    conditions: list[tuple[str, str]],
    combine: Callable[[Iterable[bool]], bool],
    values: Render | None,
) -> Sequence[dict[str, Any]]:
    """The items whose values (as ``values`` gives them) meet all or ``any`` of the conditions."""
    if not conditions:
        return items if combine is all else ()

    def matches(item: dict[str, Any]) -> bool:
        shown = item if values is None else values(item)
        return combine(search_text(shown.get(field)) == value for field, value in conditions)

    return [item for item in items if matches(item)]


def _receipted(call: Call, channel: str) -> list[dict[str, Any]]:
    """The channel's delivery receipts as of now: a message is receipted once its schedule time has
    come (the clock is read on every call), unless it was cancelled before."""
    now = _now()
    return [
        message
        for message in call.store.history.get(channel, ())
        if not message.get("cancelled") and _due_at(message) <= now
    ]


def _receipt_values(channel: str) -> Render:
    def values(message: dict[str, Any]) -> dict[str, Any]:
        due = _due_at(message)
        delivered = {"status": "Delivered", "status_code": DELIVERED[0], "status_text": DELIVERED[1]}
        return {
            **message,
            "timestamp_send": due,
            "timestamp": due,
            **(UNDELIVERED if _undeliverable(message) else delivered),
            "message_type": channel,
            "_message_type": channel,
        }

    return values


def _receipts(channel: str) -> Handler:
    def receipts(call: Call) -> web.Response:
        return _paged(call, _receipted(call, channel), _receipt_values(channel))

    return receipts


def _receipt(channel: str) -> Handler:
    def receipt(call: Call) -> web.Response:
        wanted = call.path_values["message_id"]
        found = next((item for item in _receipted(call, channel) if item["message_id"] == wanted), None)
        if found is None:
            raise Refusal(404, "NOT_FOUND", "Receipt not found.")
        return call.ok(call.render(_receipt_values(channel)(found)))

    return receipt


def _cancel(channel: str) -> Handler:
    def cancel(call: Call) -> web.Response:
        message = call.store.find_message(channel, str(call.path_values["message_id"]))
        if message is None:
            raise Refusal(404, "NOT_FOUND", "Message not found.")
        message["cancelled"] = True
        return call.ok(call.documented_data())

    return cancel


def _cancel_all(channel: str) -> Handler:
    """Cancels the channel's messages still waiting for their schedule (those of the body's
    ``custom_string`` if it gives one)."""

    def cancel_all(call: Call) -> web.Response:
        now = _now()
        custom = call.body.get("custom_string")
        scheduled = [
            item
            for item in call.store.history.get(channel, ())
            if not item.get("cancelled")
            and _due_at(item) > now
            and (custom is None or item.get("custom_string") == custom)
        ]
        for item in scheduled:
            item["cancelled"] = True
        return call.ok({"count": len(scheduled)})

    return cancel_all


def _recipients(call: Call, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message once per recipient: itself, or a copy for each contact of its ``list_id``."""
    list_id = message.get("list_id")
    if list_id is None:
        return [message]
    return [
        {
            **message,
            "to": contact.get("phone_number"),
            "contact_id": contact.get("contact_id"),
            "first_name": contact.get("first_name"),
            "last_name": contact.get("last_name"),
        }
        for contact in call.store.items(collection_of(CONTACTS).key({"list_id": list_id}))
    ]


def _country(number: Any) -> str | None:
    """The country of a number by its dialling code (None if the sandbox does not know it)."""
    if number.__class__ is not str:
        return None
    digits = number[1:] if number[:1] == "+" else number
    codes = COUNTRY_CODES
    return codes.get(digits[:1]) or codes.get(digits[:2]) or codes.get(digits[:3])


def _file_urls(call: Call, shared: dict[str, Any]) -> dict[str, Any]:
    """The files a send names, as its answer shows them (``_file_url``, ``_media_file_url``…)."""
    file_url = shared.get("file_url") or next(iter(shared.get("file_urls") or []), None)
    media = shared.get("media_file")
    return {
        "_file_url": file_url,
        "letter_file_name": file_url.rsplit("/", 1)[-1] if isinstance(file_url, str) else None,
        "_media_file_url": media,
        "ip_address": call.request.remote,
    }


Shown = tuple[tuple[str, str | None], ...]
"""Operations by id, each with the list field of its answer that holds the messages (None: its items)."""


@functools.cache
def _keys_shown(shown: Shown) -> frozenset[str]:
    """Every key the messages of these operations show (a channel's sends, history and receipts)."""
    keys: set[str] = set()
    for operation_id, field in shown:
        keys.update(item_shape(BY_ID[SHAPE_OF.get(operation_id, operation_id)], field).keys)
    return frozenset(keys)


def _send(
    channel: str, send: Operation[Any], *, record: bool, shown: Shown, receipts: ReceiptPush | None
) -> Handler:
    """A bulk send (``record``: kept in history, receipted when due, the receipt pushed as ``receipts``
    says) or its price, as the table's bulk settings and message rules of ``send`` say: each recipient is
    priced per message part and given a status; the answer is shaped after the operation's documented
    one. A message keeps the values of the request, and of the sandbox, that the channel's operations
    ``shown`` show."""
    bulk, rules = send.bulk, send.messages
    assert bulk is not None and rules is not None, f"{send.id} is not a bulk send"
    needs_number = "to" in rules.recipient_fields
    price_field = bulk.price
    text_field, text_rule = rules.text_field, rules.text_rule

    def answer(call: Call) -> web.Response:
        if record and call.account == "nocredit":
            raise Refusal(*TEST_ACCOUNTS["nocredit"])
        now = _now()
        shared = {key: value for key, value in call.body.items() if key != rules.items}
        made = {"direction": "out", "carrier": "", "date": now, "date_added": now}
        made.update(message_parts=1, message_pages=1, post_pages=1)
        every = {**_account(call), **shared, **_file_urls(call, shared), **made}
        wanted = _keys_shown(shown)
        base = {key: value for key, value in every.items() if key in wanted}
        base["date"] = now  # when it was sent: what its history is filtered by and its receipt dated
        messages = []
        total = Decimal(0)
        for message in call.body.get(rules.items, []):
            for recipient in _recipients(call, message):
                to = recipient.get("to")
                valid = not needs_number or (to.__class__ is str and E164.match(to) is not None)
                entry = {**base, **recipient}
                if text_rule is not None and text_field is not None:
                    parts = message_parts(str(recipient.get(text_field, "")), text_rule)
                    entry["message_parts"] = parts
                else:
                    parts = 1
                price = PRICE_PER_PART * parts if valid else Decimal(0)
                entry["status"] = "SUCCESS" if valid else "INVALID_RECIPIENT"
                entry[price_field] = price
                entry["country"] = recipient.get("address_country") or _country(to)
                if "return_address_id" in recipient:
                    entry["_return_address"] = _return_address(call, recipient["return_address_id"])
                if record:
                    entry["message_id"] = _message_id()
                    if valid:
                        _deliver(call, channel, recipient, entry)
                        if receipts is not None:
                            receipts.push_when_due(call, channel, entry)
                total += price
                messages.append(entry)
        queued = sum(1 for entry in messages if entry["status"] == "SUCCESS")
        totals = {"total_price": total, "total_count": len(messages), "total_cost": len(messages)}
        return call.ok(
            call.render({**_the_account(), **totals, "queued_count": queued, bulk.results: messages})
        )

    return answer


def _return_address(call: Call, return_address_id: Any) -> dict[str, Any] | None:
    """The return address a letter or postcard names, if the sandbox has it."""
    addresses = collection_of(RETURN_ADDRESSES)
    found = call.store.collections.get(addresses.key({}), {}).get(str(return_address_id))
    return None if found is None else addresses.values(call, found)


def _deliver(call: Call, channel: str, recipient: dict[str, Any], entry: dict[str, Any]) -> None:
    """A message accepted: counted and kept in the channel's history (its receipt comes when it is due)."""
    key = str(recipient.get("custom_string") or json.dumps(recipient, sort_keys=True))
    call.counters.deliveries[(channel, key)] += 1
    call.store.record(channel, entry)


def _send_email(call: Call) -> web.Response:
    """A transactional email, kept in the email history."""
    if call.account == "nocredit":
        raise Refusal(*TEST_ACCOUNTS["nocredit"])
    body = call.body
    sender = body.get("from") or {}
    email = {
        **_account(call),
        **{key: value for key, value in body.items() if key != "attachments"},
        "from_email_address_id": sender.get("email_address_id"),
        "from_name": sender.get("name"),
        "body_plain_text": re.sub(r"<[^>]*>", "", str(body.get("body", ""))),
        "message_id": _message_id(),
        "status": "Queued",
        "soft_bounce_count": 0,
        "hard_bounce_count": 0,
        "price": PRICE_PER_EMAIL,
        "date_added": _now(),
        "_attachments": [
            {
                "file_name": attachment.get("filename"),
                "content_type": attachment.get("type"),
                "content_disposition": attachment.get("disposition"),
                "content_id": attachment.get("content_id"),
                "_attachment_file_url": str(
                    call.request.url.with_path(f"/files/{uuid.uuid4()}").with_query(None)
                ),
            }
            for attachment in body.get("attachments", [])
        ],
    }
    recipients = ",".join(sorted(str(recipient.get("email")) for recipient in body.get("to", [])))
    call.counters.deliveries[("email", f"{recipients}|{body.get('subject')}")] += 1
    call.store.record("email", email, date_field="date_added")
    return call.ok(call.render(email))


# --- inbound SMS -------------------------------------------------------------------------------------------


INBOUND_RULES = "CreateSmsInboundRule"
"""The operation creating the inbound SMS rules, whose collection a received SMS is pushed by."""
TEST_SMS_BODY = "This is a test incoming SMS."


def _inbound_sms(store: Store, body: str, from_number: str | None, to: str | None) -> dict[str, Any]:
    """An inbound SMS kept in the inbound list: a reply to the last SMS sent (if any), from its
    recipient to its sender unless ``from_number`` and ``to`` say otherwise."""
    sent = store.history.get("sms", ())
    original = sent[-1] if sent else {}
    inbound = {
        **{key: _the_account()[key] for key in ("user_id", "subaccount_id")},
        "timestamp": _now(),
        "from": from_number or original.get("to"),
        "to": to or original.get("from"),
        "body": body,
        "original_body": original.get("body"),
        "original_message_id": original.get("message_id") or _message_id(),
        "custom_string": original.get("custom_string"),
        "message_id": _message_id(),
        "_keyword": body.split()[0].lower() if body.split() else "",
    }
    store.inbound.append(inbound)
    return inbound


def _inbound_rule_matches(rule: Mapping[str, Any], sms: Mapping[str, Any]) -> bool:
    """Whether an inbound rule applies to an SMS: by its dedicated number ('*' for any) and search."""
    number = rule.get("dedicated_number")
    if number not in (None, "", "*") and number != sms.get("to"):
        return False
    term, text = str(rule.get("message_search_term") or "").lower(), str(sms.get("body") or "").lower()
    search = rule.get("message_search_type")
    matched = {1: text.startswith(term), 2: term in text, 3: term not in text}
    return matched.get(search, True) if isinstance(search, int) else True


def receive_sms(
    store: Store,
    pushes: Pushes,
    body: str = TEST_SMS_BODY,
    *,
    from_number: str | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    """An SMS received (see :func:`_inbound_sms`) and pushed to the URL of every inbound rule it matches."""
    inbound = _inbound_sms(store, body, from_number, to)
    rules = [rule for rule in store.items(BY_ID[INBOUND_RULES].path) if _inbound_rule_matches(rule, inbound)]
    pushes.send_to_rules("sms_inbound", inbound, rules)
    return inbound


def _create_test_inbound(call: Call) -> web.Response:
    """A test inbound SMS (see :func:`_inbound_sms`), pushed to the URL the request gives (only there)."""
    inbound = _inbound_sms(call.store, TEST_SMS_BODY, None, None)
    call.pushes.send("sms_inbound", inbound, call.body["url"], call.body.get("webhook_type"))
    return call.ok(call.render(inbound))


def _list_inbound(call: Call) -> web.Response:
    return _paged(call, call.store.inbound)


def _get_inbound(call: Call) -> web.Response:
    wanted = call.path_values["original_message_id"]
    found = next((item for item in call.store.inbound if item["original_message_id"] == wanted), None)
    if found is None:
        raise Refusal(404, "NOT_FOUND", "Inbound message not found.")
    return call.ok(call.render(found))


def _named(*handlers: tuple[str | None, Handler]) -> dict[str, Handler]:
    """The handlers by operationId, leaving out those of operations a channel or collection lacks (None)."""
    return {operation_id: handler for operation_id, handler in handlers if operation_id is not None}


@dataclass(frozen=True)
class ReceiptPush:
    """How a channel's delivery receipts are pushed: as ``kind``, to the URL rules of the collection the
    ``rules`` operation creates, and to the URL its ``test`` operation (if any) names."""

    kind: Kind
    rules: str
    test: str | None = None

    def push_when_due(self, call: Call, channel: str, message: dict[str, Any]) -> None:
        """Push a message's receipt to the rules ``receipt_delay`` seconds after it is due, unless it was
        cancelled by then."""
        store, pushes = call.store, call.pushes

        def due() -> None:
            if not message.get("cancelled"):
                receipt = _receipt_values(channel)(message)
                pushes.send_to_rules(self.kind, receipt, store.items(BY_ID[self.rules].path))

        pushes.later(_due_at(message) - _now() + pushes.receipt_delay, due)

    def handlers(self, channel: str) -> tuple[tuple[str | None, Handler], ...]:
        return ((self.test, self._create_test(channel)),)

    def _create_test(self, channel: str) -> Handler:
        """A test receipt (of the last message sent, or of none), pushed to the URL the request gives."""

        def create_test(call: Call) -> web.Response:
            sent = call.store.history.get(channel, ())
            message = sent[-1] if sent else {"message_id": _message_id(), "date": _now()}
            receipt = _receipt_values(channel)(message)
            call.pushes.send(self.kind, receipt, call.body["url"])
            return call.ok(call.render(receipt))

        return create_test


@dataclass(frozen=True)
class Channel:
    """Messages of one kind, by the ids of their operations: a bulk send and its price (its history list is
    the table's ``send.bulk.history``), and whichever of receipts, cancelling and cancelling all it has.
    ``name`` keys the channel's history and delivery counters."""

    name: str
    send: str
    price: str
    receipts: str | None = None
    receipt: str | None = None
    cancel: str | None = None
    cancel_all: str | None = None
    receipt_push: ReceiptPush | None = None

    def operation_ids(self) -> tuple[str, ...]:
        """The operations the channel answers (its history's is the table's)."""
        named = (self.send, self.price, self.receipts, self.receipt, self.cancel, self.cancel_all)
        test = self.receipt_push.test if self.receipt_push is not None else None
        return tuple(operation_id for operation_id in (*named, test) if operation_id is not None)

    def handlers(self) -> dict[str, Handler]:
        send = BY_ID.get(self.send)
        if send is None:
            logger.warning(
                "ClickSend's table has no %s: the %s channel answers as documented", self.send, self.name
            )
            return {}
        assert send.bulk is not None, f"{self.send} is not a bulk send"
        results = send.bulk.results
        listed = (send.bulk.history.id, self.receipts, self.receipt)
        shown = ((self.send, results), (self.price, results), *((name, None) for name in listed if name))
        pushed = self.receipt_push
        return _named(
            (self.send, _send(self.name, send, record=True, shown=shown, receipts=pushed)),
            (self.price, _send(self.name, send, record=False, shown=shown, receipts=None)),
            (send.bulk.history.id, _history(self.name)),
            (self.receipts, _receipts(self.name)),
            (self.receipt, _receipt(self.name)),
            (self.cancel, _cancel(self.name)),
            (self.cancel_all, _cancel_all(self.name)),
            *(pushed.handlers(self.name) if pushed is not None else ()),
        )


# --- collections --------------------------------------------------------------------------------------

Made = Callable[[Call], dict[str, Any]]
Worked = Callable[[Call, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Collection:
    """Items kept in the store, by the ids of the operations that create, list, get, update and delete them.

    Items are kept per collection path with its parameters filled in (the create operation's path, e.g.
    ``/lists/7/contacts``), as the values given (body and path) and made (id, time added, ``made``);
    ``shown`` works out values when an item is answered (a list's contact count)."""

    id_parameter: str
    """The item operations' path parameter that names an item."""
    creates: str
    lists: str | None = None
    gets: str | None = None
    updates: str | None = None
    deletes: str | None = None
    made: Made | None = None
    shown: Worked | None = None

    @functools.cached_property
    def id_field(self) -> str:
        """The item's field with its id: named like ``id_parameter``, else the longest field of the
        documented item that the parameter's name ends with (``client_user_id``: ``user_id``)."""
        fitting = [
            key for key in item_shape(BY_ID[self.creates]).keys if f"_{self.id_parameter}".endswith(f"_{key}")
        ]
        return max(fitting, key=len, default=self.id_parameter)

    def key(self, path_values: dict[str, Any]) -> str:
        return BY_ID[self.creates].path.format(**path_values)

    def handlers(self) -> dict[str, Handler]:
        return _named(
            (self.creates, self._create),
            (self.lists, self._list),
            (self.gets, self._get),
            (self.updates, self._update),
            (self.deletes, self._delete),
        )

    def _new_id(self, call: Call) -> int | str:
        """The next id, a string if the item operations take one (as the table types their parameter)."""
        number = call.store.next_id()
        item_operation = next(
            BY_ID[name] for name in (self.gets, self.updates, self.deletes) if name is not None
        )
        parameter = item_operation.parameter(self.id_parameter)
        return str(number) if parameter is not None and parameter.kind == "string" else number

    def values(self, call: Call, item: dict[str, Any]) -> dict[str, Any]:
        """What an item shows: the account's values, its own, and those worked out now."""
        shown = self.shown(call, item) if self.shown is not None else {}
        return {**_account(call), **item, **shown}

    def _create(self, call: Call) -> web.Response:
        now = _now()
        item = {**call.path_values, **call.body, "date_added": now, "date_updated": now}
        if self.made is not None:
            item.update(self.made(call))
        new_id = self._new_id(call)
        item[self.id_field] = new_id
        call.store.collections.setdefault(self.key(call.path_values), {})[str(new_id)] = item
        return call.ok(call.render(self.values(call, item)))

    def _list(self, call: Call) -> web.Response:
        return _paged(
            call, call.store.items(self.key(call.path_values)), lambda item: self.values(call, item)
        )

    def _items(self, call: Call) -> tuple[dict[str, dict[str, Any]], str]:
        """The collection the request names and its item's key; a 404 if there is no such item."""
        items = call.store.collections.get(self.key(call.path_values), {})
        key = str(call.path_values[self.id_parameter])
        if key not in items:
            raise Refusal(404, "NOT_FOUND", f"{self.id_parameter} {key} not found.")
        return items, key

    def _get(self, call: Call) -> web.Response:
        items, key = self._items(call)
        return call.ok(call.render(self.values(call, items[key])))

    def _update(self, call: Call) -> web.Response:
        items, key = self._items(call)
        items[key].update(call.body, date_updated=_now())
        return call.ok(call.render(self.values(call, items[key])))

    def _delete(self, call: Call) -> web.Response:
        items, key = self._items(call)
        del items[key]
        return call.ok(call.documented_data())


def _move_contact(*, keep_source: bool) -> Handler:
    """Copy (``keep_source``) or transfer a contact to another list."""

    def move(call: Call) -> web.Response:
        contacts = collection_of(CONTACTS)
        source = call.store.collections.get(contacts.key({"list_id": call.path_values["from_list_id"]}), {})
        contact_id = str(call.path_values["contact_id"])
        if contact_id not in source:
            raise Refusal(404, "NOT_FOUND", "Contact not found.")
        target_list = call.path_values["to_list_id"]
        moved = {**source[contact_id], "list_id": target_list}
        if keep_source:
            moved["contact_id"] = call.store.next_id()
        else:
            del source[contact_id]
        target = call.store.collections.setdefault(contacts.key({"list_id": target_list}), {})
        target[str(moved["contact_id"])] = moved
        return call.ok(call.render(contacts.values(call, moved)))

    return move


def _code(length: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _list_email_id(call: Call) -> dict[str, Any]:
    return {"list_email_id": _code(16)}


def _contacts_count(call: Call, contact_list: dict[str, Any]) -> dict[str, Any]:
    return {"_contacts_count": len(call.store.collections.get(collection_of(CONTACTS).key(contact_list), {}))}


def _list_name(call: Call, contact: dict[str, Any]) -> dict[str, Any]:
    lists = call.store.collections.get(collection_of(CONTACT_LISTS).key({}), {})
    return {"_list_name": lists.get(str(contact.get("list_id")), {}).get("list_name")}


def _api_key(call: Call) -> dict[str, Any]:
    return {"api_key": _message_id()}


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat().replace("+00:00", "Z")


def _stamps(call: Call, item: dict[str, Any]) -> dict[str, Any]:
    """When an item was made and last changed, as ISO times (alpha tags, default senders)."""
    return {"created_timestamp": _iso(item["date_added"]), "updated_timestamp": _iso(item["date_updated"])}


def _pending(call: Call) -> dict[str, Any]:
    """A requested alpha tag is pending review."""
    return {"status": "PENDING"}


def _enabled(call: Call, sender: dict[str, Any]) -> dict[str, Any]:
    """A default sender and its strategies are enabled, the strategies in the order given."""
    strategies = [
        {**strategy, "priority": position, "status": "ENABLED"}
        for position, strategy in enumerate(sender.get("default_sender_strategies") or [], start=1)
    ]
    return {**_stamps(call, sender), "status": "ENABLED", "default_sender_strategies": strategies}


# --- the registry -------------------------------------------------------------------------------------

CHANNELS = (
    Channel(
        "sms",
        send="SendSms",
        price="CalculateSmsPrice",
        receipts="ListSmsReceipts",
        receipt="GetSmsReceipt",
        cancel="CancelSms",
        cancel_all="CancelAllSms",
        receipt_push=ReceiptPush("sms_receipt", rules="CreateSmsReceiptRule", test="CreateTestSmsReceipt"),
    ),
    Channel("mms", send="SendMms", price="CalculateMmsPrice", receipts="ListMmsReceipts"),
    Channel(
        "voice",
        send="SendVoiceMessage",
        price="CalculateVoicePrice",
        receipts="ListVoiceReceipts",
        cancel="CancelVoiceMessage",
        cancel_all="CancelAllVoiceMessages",
        receipt_push=ReceiptPush("voice_receipt", rules="CreateVoiceReceiptRule"),
    ),
    Channel(
        "fax",
        send="SendFax",
        price="CalculateFaxPrice",
        receipts="ListFaxReceipts",
        receipt="GetFaxReceipt",
        receipt_push=ReceiptPush("fax_receipt", rules="CreateFaxReceiptRule", test="CreateTestFaxReceipt"),
    ),
    Channel(
        "post/letters", send="SendPostLetter", price="CalculatePostLetterPrice", cancel="CancelPostLetter"
    ),
    Channel(
        "post/postcards",
        send="SendPostPostcard",
        price="CalculatePostPostcardPrice",
        cancel="CancelPostPostcard",
    ),
)

SINGLE: dict[str, Handler] = {
    "SendEmail": _send_email,
    "ListEmailHistory": _history("email", delivered=False),
    "CreateTestInboundSms": _create_test_inbound,
    "ListInboundSms": _list_inbound,
    "GetInboundSms": _get_inbound,
    "CopyContact": _move_contact(keep_source=True),
    "TransferContact": _move_contact(keep_source=False),
}


CONTACT_LISTS, CONTACTS, RETURN_ADDRESSES = "CreateContactList", "CreateContact", "CreatePostReturnAddress"
"""The collections other behaviours read, by the operation creating their items."""
MADE: dict[str, Made] = {
    "CreateContactList": _list_email_id,
    "CreateSubaccount": _api_key,
    "RequestAlphaTag": _pending,
}
"""What the sandbox makes for a new item (beside its id and times), by the operation creating it."""
SHOWN: dict[str, Worked] = {
    "CreateContactList": _contacts_count,
    "CreateContact": _list_name,
    "RequestAlphaTag": _stamps,
    "CreateDefaultSender": _enabled,
}
"""What an item shows worked out when it is answered, by the operation creating it."""
ITEM_PATH = re.compile(r"(?P<items>.+)/\{(?P<id>[^/{}]+)\}")
"""An item's path: the path of its collection, then the parameter naming it."""


def derive_collections(table: Mapping[str, Operation[Any]], claimed: Set[str]) -> tuple[Collection, ...]:
    """The collections of the operation table: a POST to a path creates the items its GET lists and the
    path ``/{id}`` below it gets, updates (PUT or PATCH) and deletes; operations ``claimed`` by a behaviour
    of their own (a channel's receipts, a test inbound SMS) make no collection."""
    at = {(operation.method, operation.path): operation.id for operation in table.values()}
    found = []
    for path in dict.fromkeys(operation.path for operation in table.values()):
        item = ITEM_PATH.fullmatch(path)
        creates = at.get(("POST", item["items"])) if item is not None else None
        if item is None or creates is None:
            continue
        derived = Collection(
            id_parameter=item["id"],
            creates=creates,
            lists=at.get(("GET", item["items"])),
            gets=at.get(("GET", path)),
            updates=at.get(("PUT", path)) or at.get(("PATCH", path)),
            deletes=at.get(("DELETE", path)),
            made=MADE.get(creates),
            shown=SHOWN.get(creates),
        )
        if claimed.isdisjoint(derived.handlers()):
            found.append(derived)
    return tuple(found)


CLAIMED = {operation_id for channel in CHANNELS for operation_id in channel.operation_ids()} | set(SINGLE)
"""The operations with a behaviour of their own, which are no collection's."""
COLLECTIONS = derive_collections(BY_ID, CLAIMED)


def collection_of(creates: str) -> Collection:
    """The collection of the items the operation ``creates`` creates."""
    found = next((collection for collection in COLLECTIONS if collection.creates == creates), None)
    if found is None:
        raise LookupError(f"the operation table has no collection that {creates} creates")
    return found


@functools.cache
def handlers() -> dict[str, Handler]:
    """The registry: the handler of each registered operation, by operationId."""
    parts = [*(channel.handlers() for channel in CHANNELS), *(c.handlers() for c in COLLECTIONS), SINGLE]
    return registry("ClickSend", BY_ID, parts)
