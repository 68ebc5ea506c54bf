"""What the sandbox does for each operation: a registry of handlers by operationId.

:func:`handlers` builds the registry from three declarations: the message channels (a bulk send, its
price and what else the channel has), the stateful collections (which operations create, list, get,
update and delete their items) and a few single behaviours. Every id it names must be in the operation
table; an operation it does not name answers what the docs show. Everything else about an operation
comes from the table: paging style and items field, message rules, bulk settings (the results, the
price field and the history list, ``send.bulk.history``).

Why a registry rather than ``x-sandbox`` markers in the spec: which channel a send lands in, or which
operations share a collection, is how this fake keeps its state, not a fact about ClickSend's API. The
spec describes the API (for the SDK, its docs and schemathesis) and stays free of test-double wiring;
the registry keeps all of that wiring in one reviewable place, named by the spec's own operation ids.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from .._generated.operations import OPERATIONS
from .._message_parts import count_parts
from .._operation import Operation
from .._pagination import MAX_PAGE_SIZE
from ._answers import TEST_ACCOUNTS, Refusal, envelope
from ._faults import Counters
from ._openapi import documented
from ._store import Store

__all__ = ["BY_ID", "Call", "Handler", "answer_as_documented", "handlers"]

BY_ID: dict[str, Operation[Any]] = {operation.id: operation for operation in OPERATIONS}
"""The operation table by operationId."""

MIN_PAGE_SIZE = 15  # the docs' Pagination section: 15 to 100 per page
CURSOR_PAGE_SIZE = 10  # the docs' default page_size of the cursor-paged lists
E164 = re.compile(r"^\+?[1-9][0-9]{6,14}$")
PRICE_PER_PART = Decimal("0.0770")


@dataclass
class Call:
    """One checked request, as the behaviours see it."""

    request: web.Request
    operation: Operation[Any]
    store: Store
    counters: Counters
    account: str
    path_values: dict[str, Any]
    query: dict[str, Any]
    body: dict[str, Any]
    """The JSON body as sent (checked against its schema)."""

    def documented_data(self) -> Any:
        """A fresh copy of the documented answer's data."""
        return documented(self.operation).fresh_data()

    def ok(self, data: Any) -> web.Response:
        if not self.operation.envelope:
            return web.json_response(data)
        return envelope(200, "SUCCESS", documented(self.operation).message, data)


Handler = Callable[[Call], web.Response]
"""What answers one operation."""


def answer_as_documented(call: Call) -> web.Response:
    """The documented answer, with the request's path values in the fields of the same name."""
    data = call.documented_data()
    if isinstance(data, dict):
        data.update({name: value for name, value in call.path_values.items() if name in data})
    return call.ok(data)


# --- paging ----------------------------------------------------------------------------------------------


def _numbered_page(call: Call, items: list[dict[str, Any]], items_field: str) -> web.Response:
    """Numbered pages as ClickSend answers them: 15 to 100 per page, with the PageMeta fields."""
    page = call.query.get("page") or 1
    per_page = min(max(call.query.get("limit") or MIN_PAGE_SIZE, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
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
            items_field: chunk,
        }
    )


def _cursor_page(call: Call, items: list[dict[str, Any]], items_field: str) -> web.Response:
    """Cursor pages as the alpha tag list answers them; here a cursor is the position of the page's first
    item, and a cursor the sandbox did not give reads as the end of the list."""
    offset = call.query.get("offset", "0")
    start = int(offset) if re.fullmatch("[0-9]{1,9}", offset) else len(items)
    size = call.query.get("page_size") or CURSOR_PAGE_SIZE
    url = call.request.url
    following = str(url.update_query(offset=str(start + size))) if start + size < len(items) else None
    return call.ok(
        {
            items_field: items[start : start + size],
            "_metadata": {"pagination": {"self": str(url), "next": following, "page_size": size}},
        }
    )


def _paged(call: Call, items: list[dict[str, Any]]) -> web.Response:
    """The items, a page at a time as the operation's paging style (from the table) says."""
    paging = call.operation.paging
    if paging is None:
        return call.ok(items)
    page = _cursor_page if paging.style == "cursor" else _numbered_page
    return page(call, items, paging.items)


# --- messages ------------------------------------------------------------------------------------------


def _within(moment: Any, since: int | None, until: int | None) -> bool:
    """Whether a history entry's unix time is in [since, until]; an entry without one always is."""
    if not isinstance(moment, int):
        return True
    return (since is None or moment >= since) and (until is None or moment <= until)


def _history(channel: str) -> Handler:
    def history(call: Call) -> web.Response:
        items = call.store.history.get(channel, [])
        since, until = call.query.get("date_from"), call.query.get("date_to")
        if since is not None or until is not None:
            items = [
                item for item in items if _within(item.get("date") or item.get("date_added"), since, until)
            ]
        return _paged(call, items)

    return history


def _receipts(channel: str) -> Handler:
    def receipts(call: Call) -> web.Response:
        return _paged(call, call.store.receipts.get(channel, []))

    return receipts


def _receipt(channel: str) -> Handler:
    def receipt(call: Call) -> web.Response:
        wanted = call.path_values["message_id"]
        found = next(
            (item for item in call.store.receipts.get(channel, []) if item["message_id"] == wanted), None
        )
        if found is None:
            raise Refusal(404, "NOT_FOUND", "Receipt not found.")
        return call.ok(found)

    return receipt


def _cancel(channel: str) -> Handler:
    def cancel(call: Call) -> web.Response:
        message = call.store.find_message(channel, str(call.path_values["message_id"]))
        if message is None:
            raise Refusal(404, "NOT_FOUND", "Message not found.")
        message["status"] = "Cancelled"
        return call.ok(call.documented_data())

    return cancel


def _cancel_all(channel: str) -> Handler:
    def cancel_all(call: Call) -> web.Response:
        scheduled = [
            item for item in call.store.history.get(channel, []) if item.get("status") == "Scheduled"
        ]
        for item in scheduled:
            item["status"] = "Cancelled"
        return call.ok({"count": len(scheduled)})

    return cancel_all


def _recipients(call: Call, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message once per recipient: itself, or a copy for each contact of its ``list_id``."""
    list_id = message.get("list_id")
    if list_id is None:
        return [message]
    return [
        {**message, "to": contact.get("phone_number")}
        for contact in call.store.items(CONTACTS.key({"list_id": list_id}))
    ]


def _send(channel: str, send: Operation[Any], *, record: bool) -> Handler:
    """A bulk send (``record``: kept in history and receipts) or its price, as the table's bulk settings and
    message rules of ``send`` say: each recipient is priced per message part and given a status."""
    bulk, rules = send.bulk, send.messages
    assert bulk is not None and rules is not None, f"{send.id} is not a bulk send"
    needs_number = "to" in rules.recipient_fields

    def parts_of(recipient: dict[str, Any]) -> int:
        if rules.text_field is None or rules.text_rule is None:
            return 1
        return count_parts(str(recipient.get(rules.text_field, "")), rules.text_rule).parts

    def answer(call: Call) -> web.Response:
        if record and call.account == "nocredit":
            raise Refusal(*TEST_ACCOUNTS["nocredit"])
        example = call.documented_data()
        template = (example.get(bulk.results) or [{}])[0]
        stamps = [stamp for stamp in ("date", "date_added") if stamp in template]
        now = int(time.time())
        results = []
        total = Decimal(0)
        for message in call.body.get(rules.items, []):
            for recipient in _recipients(call, message):
                to = recipient.get("to")
                valid = not needs_number or (isinstance(to, str) and E164.match(to) is not None)
                parts = parts_of(recipient)
                price = PRICE_PER_PART * parts if valid else Decimal(0)
                result = {**template, **{key: value for key, value in recipient.items() if key != "list_id"}}
                result.update(
                    schedule=recipient.get("schedule", ""), status="SUCCESS" if valid else "INVALID_RECIPIENT"
                )
                result[bulk.price] = str(price)
                if "message_parts" in template:
                    result.update(direction="out", message_parts=parts)
                for stamp in stamps:
                    result[stamp] = now
                if record:
                    result["message_id"] = str(uuid.uuid4()).upper()
                    if valid:
                        _deliver(call, channel, recipient, result, now)
                else:
                    result.pop("message_id", None)
                total += price
                results.append(result)
        queued = sum(1 for result in results if result["status"] == "SUCCESS")
        return call.ok(
            {
                **example,
                "total_price": str(total),
                "total_count": len(results),
                "queued_count": queued,
                bulk.results: results,
            }
        )

    return answer


def _deliver(call: Call, channel: str, recipient: dict[str, Any], result: dict[str, Any], now: int) -> None:
    """A message accepted: counted, kept in the channel's history, and given a delivery receipt."""
    key = str(recipient.get("custom_string") or json.dumps(recipient, sort_keys=True))
    call.counters.deliveries[(channel, key)] += 1
    call.store.history.setdefault(channel, []).append(
        {**result, "status": "Scheduled" if recipient.get("schedule") else "Sent"}
    )
    call.store.receipts.setdefault(channel, []).append(
        {
            "timestamp_send": now,
            "timestamp": now,
            "message_id": result["message_id"],
            "status_code": "201",
            "status_text": "Success: Message received on handset.",
            "error_code": None,
            "error_text": None,
            "custom_string": recipient.get("custom_string"),
            "message_type": channel,
        }
    )


def _send_email(call: Call) -> web.Response:
    """A transactional email: answered like the documented one, with its own values, kept in history."""
    if call.account == "nocredit":
        raise Refusal(*TEST_ACCOUNTS["nocredit"])
    given = {
        key: value
        for key, value in call.body.items()
        if key in ("to", "cc", "bcc", "subject", "body", "schedule")
    }
    email = {**call.documented_data(), **given}
    email.update(
        message_id=str(uuid.uuid4()).upper(), status="Queued", date_added=int(time.time()), _attachments=[]
    )
    email.setdefault("schedule", None)
    recipients = ",".join(sorted(str(recipient.get("email")) for recipient in call.body.get("to", [])))
    call.counters.deliveries[("email", f"{recipients}|{call.body.get('subject')}")] += 1
    call.store.history.setdefault("email", []).append(email)
    return call.ok(email)


def _named(*handlers: tuple[str | None, Handler]) -> dict[str, Handler]:
    """The handlers by operationId, leaving out those of operations a channel or collection lacks (None)."""
    return {operation_id: handler for operation_id, handler in handlers if operation_id is not None}


@dataclass(frozen=True)
class Channel:
    """Messages of one kind, by the ids of their operations: a bulk send and its price (its history list is
    the table's ``send.bulk.history``), and whichever of receipts, cancelling and cancelling all it has.
    ``name`` keys the channel's history, receipts and delivery counters."""

    name: str
    send: str
    price: str
    receipts: str | None = None
    receipt: str | None = None
    cancel: str | None = None
    cancel_all: str | None = None

    def handlers(self) -> dict[str, Handler]:
        send = BY_ID[self.send]
        assert send.bulk is not None, f"{self.send} is not a bulk send"
        return _named(
            (self.send, _send(self.name, send, record=True)),
            (self.price, _send(self.name, send, record=False)),
            (send.bulk.history.id, _history(self.name)),
            (self.receipts, _receipts(self.name)),
            (self.receipt, _receipt(self.name)),
            (self.cancel, _cancel(self.name)),
            (self.cancel_all, _cancel_all(self.name)),
        )


# --- collections --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Collection:
    """Items kept in the store, by the ids of the operations that create, list, get, update and delete them.

    Items are kept per collection path with its parameters filled in (the create operation's path, e.g.
    ``/lists/7/contacts``)."""

    id_parameter: str
    """The item operations' path parameter that names an item."""
    id_field: str | None = None
    """The item's id field, when it is not named like ``id_parameter``."""
    creates: str
    lists: str | None = None
    gets: str | None = None
    updates: str | None = None
    deletes: str | None = None

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

    def _create(self, call: Call) -> web.Response:
        shown = call.documented_data()
        item = {**(shown if isinstance(shown, dict) else {}), **call.path_values, **call.body}
        new_id = self._new_id(call)
        item[self.id_field or self.id_parameter] = new_id
        call.store.collections.setdefault(self.key(call.path_values), {})[str(new_id)] = item
        return call.ok(item)

    def _list(self, call: Call) -> web.Response:
        return _paged(call, call.store.items(self.key(call.path_values)))

    def _items(self, call: Call) -> tuple[dict[str, dict[str, Any]], str]:
        """The collection the request names and its item's key; a 404 if there is no such item."""
        items = call.store.collections.get(self.key(call.path_values), {})
        key = str(call.path_values[self.id_parameter])
        if key not in items:
            raise Refusal(404, "NOT_FOUND", f"{self.id_parameter} {key} not found.")
        return items, key

    def _get(self, call: Call) -> web.Response:
        items, key = self._items(call)
        return call.ok(items[key])

    def _update(self, call: Call) -> web.Response:
        items, key = self._items(call)
        items[key].update(call.body)
        return call.ok(items[key])

    def _delete(self, call: Call) -> web.Response:
        items, key = self._items(call)
        del items[key]
        return call.ok(call.documented_data())


def _move_contact(*, keep_source: bool) -> Handler:
    """Copy (``keep_source``) or transfer a contact to another list."""

    def move(call: Call) -> web.Response:
        source = call.store.collections.get(CONTACTS.key({"list_id": call.path_values["from_list_id"]}), {})
        contact_id = str(call.path_values["contact_id"])
        if contact_id not in source:
            raise Refusal(404, "NOT_FOUND", "Contact not found.")
        target_list = call.path_values["to_list_id"]
        moved = {**source[contact_id], "list_id": target_list}
        if keep_source:
            moved["contact_id"] = call.store.next_id()
        else:
            del source[contact_id]
        target = call.store.collections.setdefault(CONTACTS.key({"list_id": target_list}), {})
        target[str(moved["contact_id"])] = moved
        return call.ok(moved)

    return move


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
    ),
    Channel("mms", send="SendMms", price="CalculateMmsPrice", receipts="ListMmsReceipts"),
    Channel(
        "voice",
        send="SendVoiceMessage",
        price="CalculateVoicePrice",
        receipts="ListVoiceReceipts",
        cancel="CancelVoiceMessage",
        cancel_all="CancelAllVoiceMessages",
    ),
    Channel(
        "fax", send="SendFax", price="CalculateFaxPrice", receipts="ListFaxReceipts", receipt="GetFaxReceipt"
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

CONTACT_LISTS = Collection(
    id_parameter="list_id",
    creates="CreateContactList",
    lists="ListContactLists",
    gets="GetContactList",
    updates="UpdateContactList",
    deletes="DeleteContactList",
)
CONTACTS = Collection(
    id_parameter="contact_id",
    creates="CreateContact",
    lists="ListContacts",
    gets="GetContact",
    updates="UpdateContact",
    deletes="DeleteContact",
)
COLLECTIONS = (
    CONTACT_LISTS,
    CONTACTS,
    Collection(
        id_parameter="template_id",
        creates="CreateSmsTemplate",
        lists="ListSmsTemplates",
        updates="UpdateSmsTemplate",
        deletes="DeleteSmsTemplate",
    ),
    Collection(
        id_parameter="template_id",
        creates="CreateEmailTemplate",
        lists="ListEmailTemplates",
        gets="GetEmailTemplate",
        updates="UpdateEmailTemplate",
        deletes="DeleteEmailTemplate",
    ),
    Collection(
        id_parameter="email_address_id",
        creates="CreateAllowedEmailAddress",
        lists="ListAllowedEmailAddresses",
        gets="GetAllowedEmailAddress",
        deletes="DeleteAllowedEmailAddress",
    ),
    Collection(
        id_parameter="email_address_id",
        creates="CreateEmailToSmsAllowedAddress",
        lists="ListEmailToSmsAllowedAddresses",
        gets="GetEmailToSmsAllowedAddress",
        updates="UpdateEmailToSmsAllowedAddress",
        deletes="DeleteEmailToSmsAllowedAddress",
    ),
    Collection(
        id_parameter="rule_id",
        creates="CreateEmailToSmsStrippedString",
        lists="ListEmailToSmsStrippedStrings",
        gets="GetEmailToSmsStrippedString",
        updates="UpdateEmailToSmsStrippedString",
        deletes="DeleteEmailToSmsStrippedString",
    ),
    Collection(
        id_parameter="return_address_id",
        creates="CreatePostReturnAddress",
        lists="ListPostReturnAddresses",
        gets="GetPostReturnAddress",
        updates="UpdatePostReturnAddress",
        deletes="DeletePostReturnAddress",
    ),
    Collection(
        id_parameter="client_user_id",
        id_field="user_id",
        creates="CreateResellerAccount",
        lists="ListResellerAccounts",
        gets="GetResellerAccount",
        updates="UpdateResellerAccount",
    ),
    Collection(
        id_parameter="subaccount_id",
        creates="CreateSubaccount",
        lists="ListSubaccounts",
        gets="GetSubaccount",
        updates="UpdateSubaccount",
        deletes="DeleteSubaccount",
    ),
    Collection(
        id_parameter="alpha_tag_id",
        id_field="id",
        creates="RequestAlphaTag",
        lists="ListAlphaTags",
        gets="GetAlphaTag",
        deletes="DeleteAlphaTag",
    ),
    # automation rules
    Collection(
        id_parameter="inbound_rule_id",
        creates="CreateSmsInboundRule",
        lists="ListSmsInboundRules",
        gets="GetSmsInboundRule",
        updates="UpdateSmsInboundRule",
        deletes="DeleteSmsInboundRule",
    ),
    Collection(
        id_parameter="inbound_rule_id",
        creates="CreateFaxInboundRule",
        lists="ListFaxInboundRules",
        gets="GetFaxInboundRule",
        updates="UpdateFaxInboundRule",
        deletes="DeleteFaxInboundRule",
    ),
    Collection(
        id_parameter="receipt_rule_id",
        creates="CreateSmsReceiptRule",
        lists="ListSmsReceiptRules",
        gets="GetSmsReceiptRule",
        updates="UpdateSmsReceiptRule",
        deletes="DeleteSmsReceiptRule",
    ),
    Collection(
        id_parameter="receipt_rule_id",
        creates="CreateFaxReceiptRule",
        lists="ListFaxReceiptRules",
        gets="GetFaxReceiptRule",
        updates="UpdateFaxReceiptRule",
        deletes="DeleteFaxReceiptRule",
    ),
    Collection(
        id_parameter="receipt_rule_id",
        creates="CreateEmailReceiptRule",
        lists="ListEmailReceiptRules",
        gets="GetEmailReceiptRule",
        updates="UpdateEmailReceiptRule",
        deletes="DeleteEmailReceiptRule",
    ),
    Collection(
        id_parameter="receipt_rule_id",
        creates="CreateVoiceReceiptRule",
        lists="ListVoiceReceiptRules",
        gets="GetVoiceReceiptRule",
        updates="UpdateVoiceReceiptRule",
        deletes="DeleteVoiceReceiptRule",
    ),
)

SINGLE: dict[str, Handler] = {
    "SendEmail": _send_email,
    "ListEmailHistory": _history("email"),
    "CopyContact": _move_contact(keep_source=True),
    "TransferContact": _move_contact(keep_source=False),
}


@functools.cache
def handlers() -> dict[str, Handler]:
    """The registry: the handler of each registered operation, by operationId."""
    registered: dict[str, Handler] = {}
    for part in [*(channel.handlers() for channel in CHANNELS), *(c.handlers() for c in COLLECTIONS), SINGLE]:
        for operation_id, handler in part.items():
            if operation_id in registered:
                raise ValueError(f"the sandbox registers {operation_id} twice")
            registered[operation_id] = handler
    unknown = sorted(set(registered) - set(BY_ID))
    if unknown:
        raise ValueError(f"the sandbox registers operations the table does not have: {', '.join(unknown)}")
    return registered
