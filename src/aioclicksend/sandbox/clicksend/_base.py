"""The sandbox's ClickSend behaviours: what they share (the call, the account, time, paging, constants)."""

from __future__ import annotations

import functools
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..._core.operation import Operation
from ..._generated.operations import OPERATIONS
from .. import _framework
from .._answers import envelope
from .._faults import Counters
from .._openapi import documented, parameter_schema
from .._pushes import Pushes
from .._shapes import Shape, data_shape, item_shape
from .._store import Store

if TYPE_CHECKING:
    pass

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


clock = time.time
"""The sandbox's clock (a test may replace it: every ClickSend behaviour reads the time through it)."""


def _now() -> int:
    """Unix time in seconds, by :data:`clock`."""
    return int(clock())


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


def _named(*handlers: tuple[str | None, Handler]) -> dict[str, Handler]:
    """The handlers by operationId, leaving out those of operations a channel or collection lacks (None)."""
    return {operation_id: handler for operation_id, handler in handlers if operation_id is not None}
