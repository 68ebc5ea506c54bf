"""The sandbox's message channels: sends, prices, history (searched), receipts, cancelling, email."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..._core.operation import Operation
from .._answers import TEST_ACCOUNTS, Refusal
from .._framework import logger
from .._parts import message_parts
from .._shapes import item_shape
from .._store import History, search_text
from ._base import (
    BY_ID,
    COUNTRY_CODES,
    DELIVERED,
    E164,
    PRICE_PER_EMAIL,
    PRICE_PER_PART,
    SHAPE_OF,
    UNDELIVERABLE,
    UNDELIVERED,
    Call,
    Handler,
    Render,
    _account,
    _listed_shape,
    _message_id,
    _named,
    _now,
    _paged,
    _the_account,
)
from .items import CONTACTS, RETURN_ADDRESSES, collection_of

if TYPE_CHECKING:
    from ...webhooks import Kind

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
