"""Dropping ClickSend's retries of a push already handled (or answering them as the push being handled).

ClickSend sends a push again, every 10 minutes and up to 10 times, whenever your URL does not answer 200
within 30 seconds, so the same push can arrive more than once (and twice at the same time, when your
first answer was merely slow). A receiver remembers each push it handled by its *key*: its kind and the
fields the spec names for it (``x-sdk-dedup-key``: an inbound SMS's ``message_id``; a receipt's
``message_id`` and ``status``, so that a later status of the same message is not taken for a retry).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import quote

from ._table import webhook

if TYPE_CHECKING:
    from aioclicksend._core.models import ClickSendModel

__all__ = ["DEFAULT_MAX_KEYS", "DEFAULT_TTL", "MAX_KEY_LENGTH", "DedupStore", "MemoryDedupStore", "dedup_key"]

DEFAULT_MAX_KEYS = 100_000
DEFAULT_TTL = 2 * 60 * 60.0
"""Two hours: longer than ClickSend's retries last (10 retries 10 minutes apart, each allowed 30 s)."""
MAX_KEY_LENGTH = 200
"""The longest key :func:`dedup_key` gives as it is (a receipt's is some 60 characters); a longer one is
hashed, for a hostile sender's megabyte ``message_id`` would otherwise be kept for hours."""


@runtime_checkable
class DedupStore(Protocol):
    """Where a receiver records the pushes it handles; implement it to share them between processes.

    A key is first *in flight*: ``seen`` records it so while its handler runs. It then is either *done*
    (``done``: the handler returned; keep the key at least two hours, for ClickSend's retries last 100
    minutes) or dropped (``forget``: the handler failed, so ClickSend's retry must be handled). A push
    whose key was ``seen`` already is a duplicate: the receiver awaits ``outcome`` (bounding that wait
    itself) and answers 200 if the original is done, 500 (ClickSend sends it again) if it was forgotten.

    ``seen`` must check and record in one step (atomically, for a store shared by several workers). A
    shared store should let a key in flight lapse after a few minutes (a lease), for the process handling
    it may die before it is done or forgotten, as :class:`~aioclicksend.webhooks.RedisDedupStore` does.
    """

    async def seen(self, key: str) -> bool:
        """Record ``key`` in flight unless it is recorded already; whether it was (in flight or done)."""
        ...

    async def done(self, key: str) -> None:
        """Record ``key`` done: its handler returned, so its retries are answered 200 from now on."""
        ...

    async def forget(self, key: str) -> None:
        """Drop ``key`` (its handler failed, so the push must be handled when ClickSend sends it again)."""
        ...

    async def outcome(self, key: str) -> bool:
        """Once ``key`` is no longer in flight: whether it is done (``False``: forgotten, or not known)."""
        ...


class MemoryDedupStore:
    """The receivers' default store: the keys of one process, in memory, bounded in number and in age.

    A key is kept ``ttl`` seconds after it was last seen (default two hours, longer than ClickSend's
    retries last), and at most ``max_keys`` keys (default 100 000: some 20 MB of receipt keys, 40 MB at
    most, for :func:`dedup_key` hashes a long one) are kept: past that, the least recently seen goes
    first. Keys in flight count too: one dropped for age or number is as if forgotten (its duplicates
    waiting on :meth:`outcome` get ``False``), and is recorded again when it is :meth:`done`. Keys in
    flight have no lease: a receiver always ends them, done or forgotten. Use one store per process; with
    several processes or hosts behind one URL, use a shared store (see :class:`DedupStore`).
    """

    def __init__(
        self,
        max_keys: int = DEFAULT_MAX_KEYS,
        ttl: float = DEFAULT_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be a positive integer, not {max_keys!r}")
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
        self.max_keys = max_keys
        self.ttl = float(ttl)
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()  # least recently seen first
        self._in_flight: dict[str, asyncio.Future[bool]] = {}  # each key's outcome, once known

    def __len__(self) -> int:
        return len(self._expiry)

    def __contains__(self, key: object) -> bool:
        expiry = self._expiry.get(key) if isinstance(key, str) else None
        return expiry is not None and expiry > self._clock()

    async def seen(self, key: str) -> bool:
        now = self._clock()
        while self._expiry:  # the oldest first: every key lives ttl from its last sighting
            oldest, expiry = next(iter(self._expiry.items()))
            if expiry > now:
                break
            self._drop(oldest)
        known = key in self._expiry
        self._record(key)
        if not known:
            self._in_flight[key] = asyncio.get_running_loop().create_future()
        return known

    async def done(self, key: str) -> None:
        self._settle(key, True)
        self._record(key)

    async def forget(self, key: str) -> None:
        self._expiry.pop(key, None)
        self._settle(key, False)

    async def outcome(self, key: str) -> bool:
        pending = self._in_flight.get(key)
        if pending is None:
            return key in self
        return await asyncio.shield(pending)  # a waiter cancelled does not cancel the outcome

    def _record(self, key: str) -> None:
        self._expiry[key] = self._clock() + self.ttl
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.max_keys:
            self._drop(next(iter(self._expiry)))

    def _drop(self, key: str) -> None:
        del self._expiry[key]
        self._settle(key, False)

    def _settle(self, key: str, done: bool) -> None:
        """End ``key``'s flight, if it is in flight: its waiters learn whether it is done."""
        pending = self._in_flight.pop(key, None)
        if pending is not None and not pending.done():
            pending.set_result(done)


def dedup_key(kind: str, push: ClickSendModel) -> str | None:
    """The key a receiver records ``push`` under: its kind and the values of its kind's dedup fields,
    percent-encoded and joined by ``:`` (``"sms_receipt:<message_id>:Delivered"``); one longer than
    :data:`MAX_KEY_LENGTH` is the kind and a hash of it (``"sms_inbound:blake2b=<64 hex digits>"``), so a
    store's memory per key is bounded. ``None`` when one of those fields is missing or empty: such a push
    cannot be told from another, so it is never dropped."""
    entry = webhook(kind)
    values = entry.identity(push)
    if not all(values):
        return None
    key = ":".join([entry.kind, *(quote(value, safe="") for value in values)])
    if len(key) <= MAX_KEY_LENGTH:
        return key
    # "=" is percent-encoded in every value, so a hashed key is never a short one.
    return f"{entry.kind}:blake2b={hashlib.blake2b(key.encode('ascii'), digest_size=32).hexdigest()}"
