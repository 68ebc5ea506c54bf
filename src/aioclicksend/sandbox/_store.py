"""The sandbox's in-memory state: collections (lists, contacts, templates, rules…) and messages."""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

Message = dict[str, Any]


def search_text(value: Any) -> str | None:
    """A value as a ``q`` search compares it: its text in any case (``true``/``false`` for a boolean);
    None for no value, which no search matches."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


class Window(Sequence[Message]):
    """The items of a list at some of its positions, read in place: nothing is copied until a slice of
    it is taken (a page)."""

    def __init__(self, items: list[Message], positions: range) -> None:
        self._items = items
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> Message: ...
    @overload
    def __getitem__(self, index: slice) -> list[Message]: ...
    def __getitem__(self, index: int | slice) -> Message | list[Message]:
        chosen = self._positions[index]
        if isinstance(chosen, range):
            return [self._items[position] for position in chosen]
        return self._items[chosen]


class History(Sequence[Message]):
    """One channel's sent messages in date order (those of the same second in the order they came).

    Dated by ``date_field`` (unix seconds), so that the messages of a range of dates are found by
    bisection, without looking at the others; indexed by ``custom_string`` (its :func:`search_text`),
    for a client that looks up its messages by the hundred. A message is added after the others when it is
    the newest, as a message just sent is."""

    def __init__(self, date_field: str) -> None:
        self._date: Callable[[Message], Any] = operator.itemgetter(date_field)
        self._messages: list[Message] = []
        self._by_custom_string: dict[str, list[Message]] = {}

    def __len__(self) -> int:
        return len(self._messages)

    @overload
    def __getitem__(self, index: int) -> Message: ...
    @overload
    def __getitem__(self, index: slice) -> list[Message]: ...
    def __getitem__(self, index: int | slice) -> Message | list[Message]:
        return self._messages[index]

    def add(self, message: Message) -> None:
        bisect.insort_right(self._messages, message, key=self._date)
        custom_string = search_text(message.get("custom_string"))
        if custom_string is not None:
            indexed = self._by_custom_string.setdefault(custom_string, [])
            bisect.insort_right(indexed, message, key=self._date)

    def dated(
        self, since: int | None, until: int | None, custom_strings: Collection[str] | None = None
    ) -> Sequence[Message]:
        """The messages dated from ``since`` to ``until`` (None: no bound), in date order; only those whose
        ``custom_string`` has one of these :func:`search_text` if they are given. Read in place, except
        the messages of several custom strings, which are merged into a list."""
        if custom_strings is None:
            return self._between(self._messages, since, until)
        indexed = self._by_custom_string
        found = [self._between(indexed.get(text, []), since, until) for text in dict.fromkeys(custom_strings)]
        return found[0] if len(found) == 1 else list(heapq.merge(*found, key=self._date))

    def _between(self, messages: list[Message], since: int | None, until: int | None) -> Window:
        """Those of ``messages`` (in date order) dated from ``since`` to ``until``, found by bisection."""
        start = 0 if since is None else bisect.bisect_left(messages, since, key=self._date)
        stop = len(messages) if until is None else bisect.bisect_right(messages, until, key=self._date)
        return Window(messages, range(start, stop))


@dataclass
class Store:
    """Everything the sandbox remembers, per server (not per account: it is a test double).

    Only writes add entries: reads go through ``.get()``, so no request that changes nothing grows it.
    Delivery receipts are not kept: they are worked out from the history when read.
    """

    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Items by collection path (with its parameters filled in, e.g. ``/lists/7/contacts``) and id."""
    history: dict[str, History] = field(default_factory=dict)
    """Sent messages per channel (``sms``, ``mms``, ``voice``…), oldest first, as the sandbox keeps them:
    what the request gave and what the sandbox made (id, price, time…)."""
    inbound: list[dict[str, Any]] = field(default_factory=list)
    """Inbound SMS (the test ones), oldest first."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        return next(self._ids)

    def items(self, collection: str) -> list[dict[str, Any]]:
        return list(self.collections.get(collection, {}).values())

    def record(self, channel: str, message: Message, date_field: str = "date") -> None:
        """Keeps a message sent in its channel's history, whose messages ``date_field`` dates."""
        history = self.history.get(channel)
        if history is None:
            history = self.history[channel] = History(date_field)
        history.add(message)

    def find_message(self, channel: str, message_id: str) -> dict[str, Any] | None:
        return next(
            (item for item in self.history.get(channel, ()) if item.get("message_id") == message_id), None
        )
