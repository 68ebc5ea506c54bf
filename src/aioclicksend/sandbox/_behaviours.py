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
import re
from collections.abc import Mapping, Set
from typing import Any

from .._core.operation import Operation
from ._framework import registry
from .clicksend._base import BY_ID, SHAPE_OF, Call, Handler
from .clicksend.inbound import TEST_SMS_BODY, _create_test_inbound, _get_inbound, _list_inbound, receive_sms
from .clicksend.items import (
    CONTACT_LISTS,
    CONTACTS,
    RETURN_ADDRESSES,
    Collection,
    Made,
    Worked,
    _api_key,
    _contacts_count,
    _enabled,
    _list_email_id,
    _list_name,
    _move_contact,
    _pending,
    _stamps,
    collection_of,
    know_collections,
)
from .clicksend.messages import Channel, ReceiptPush, _history, _send_email

__all__ = [
    "BY_ID",
    "CHANNELS",
    "COLLECTIONS",
    "CONTACTS",
    "CONTACT_LISTS",
    "RETURN_ADDRESSES",
    "SHAPE_OF",
    "TEST_SMS_BODY",
    "Call",
    "Channel",
    "Collection",
    "Handler",
    "collection_of",
    "derive_collections",
    "handlers",
    "receive_sms",
]

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
COLLECTIONS = know_collections(derive_collections(BY_ID, CLAIMED))


@functools.cache
def handlers() -> dict[str, Handler]:
    """The registry: the handler of each registered operation, by operationId."""
    parts = [*(channel.handlers() for channel in CHANNELS), *(c.handlers() for c in COLLECTIONS), SINGLE]
    return registry("ClickSend", BY_ID, parts)
