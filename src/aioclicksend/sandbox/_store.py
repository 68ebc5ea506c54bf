"""The sandbox's in-memory state: collections (lists, contacts, templates, rules…) and messages."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Store:
    """Everything the sandbox remembers, per server (not per account: it is a test double).

    Only writes add entries: reads go through ``.get()``, so no request that changes nothing grows it.
    Delivery receipts are not kept: they are worked out from the history when read.
    """

    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Items by collection path (with its parameters filled in, e.g. ``/lists/7/contacts``) and id."""
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Sent messages per channel (``sms``, ``mms``, ``voice``…), oldest first, as the sandbox keeps them:
    what the request gave and what the sandbox made (id, price, time…)."""
    inbound: list[dict[str, Any]] = field(default_factory=list)
    """Inbound SMS (the test ones), oldest first."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        return next(self._ids)

    def items(self, collection: str) -> list[dict[str, Any]]:
        return list(self.collections.get(collection, {}).values())

    def find_message(self, channel: str, message_id: str) -> dict[str, Any] | None:
        return next(
            (item for item in self.history.get(channel, []) if item.get("message_id") == message_id), None
        )
