"""The sandbox's stateful collections: created, listed, got, updated and deleted by the table's paths."""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._answers import Refusal
from .._shapes import item_shape
from ._base import BY_ID, Call, Handler, _account, _message_id, _named, _now, _paged

if TYPE_CHECKING:
    pass

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


CONTACT_LISTS, CONTACTS, RETURN_ADDRESSES = "CreateContactList", "CreateContact", "CreatePostReturnAddress"
"""The collections other behaviours read, by the operation creating their items."""
_KNOWN: dict[str, Collection] = {}
"""The registry's collections, by the operation creating their items (:func:`know_collections`)."""


def know_collections(collections: tuple[Collection, ...]) -> tuple[Collection, ...]:
    """Make the registry's collections the ones :func:`collection_of` finds; returns them."""
    _KNOWN.clear()
    _KNOWN.update((collection.creates, collection) for collection in collections)
    return collections


def collection_of(creates: str) -> Collection:
    """The collection of the items the operation ``creates`` creates."""
    found = _KNOWN.get(creates)
    if found is None:
        raise LookupError(f"the operation table has no collection that {creates} creates")
    return found
