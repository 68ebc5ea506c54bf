"""Dropping ClickSend's retries of a push already handled.

ClickSend sends a push again, every 10 minutes and up to 10 times, whenever your URL does not answer 200
within 30 seconds, so the same push can arrive more than once (and twice at the same time, when your
first answer was merely slow). A receiver remembers each push it handled by its *key*: its kind and the
fields the spec names for it (``x-sdk-dedup-key``: an inbound SMS's ``message_id``; a receipt's
``message_id`` and ``status``, so that a later status of the same message is not taken for a retry).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import quote

from ._table import webhook

if TYPE_CHECKING:
    from aioclicksend._models import ClickSendModel

__all__ = ["DEFAULT_MAX_KEYS", "DEFAULT_TTL", "MAX_KEY_LENGTH", "DedupStore", "MemoryDedupStore", "dedup_key"]

DEFAULT_MAX_KEYS = 100_000
DEFAULT_TTL = 2 * 60 * 60.0
"""Two hours: longer than ClickSend's retries last (10 retries 10 minutes apart, each allowed 30 s)."""
MAX_KEY_LENGTH = 200
"""The longest key :func:`dedup_key` gives as it is (a receipt's is some 60 characters); a longer one is
hashed, for a hostile sender's megabyte ``message_id`` would otherwise be kept for hours."""


@runtime_checkable
class DedupStore(Protocol):
    """Where a receiver records the pushes it handled; implement it to share them between processes.

    ``seen`` must check and record in one step (atomically, for a store shared by several workers), and
    keep a key at least two hours (ClickSend's retries last 100 minutes). With Redis, for instance::

        class RedisDedupStore:
            def __init__(self, redis: redis.asyncio.Redis) -> None:
                self.redis = redis

            async def seen(self, key: str) -> bool:
                return not await self.redis.set(f"clicksend:{key}", 1, nx=True, ex=7200)

            async def forget(self, key: str) -> None:
                await self.redis.delete(f"clicksend:{key}")

    and with a database, an ``INSERT`` into a table whose primary key is the key (a unique violation
    means seen), and a ``DELETE`` to forget, old rows purged by time.
    """

    async def seen(self, key: str) -> bool:
        """Record ``key``; whether it was recorded already (the push is a retry of one handled or in hand)."""
        ...

    async def forget(self, key: str) -> None:
        """Drop ``key`` (its handler failed, so the push must be handled when ClickSend sends it again)."""
        ...


class MemoryDedupStore:
    """The receivers' default store: the keys of one process, in memory, bounded in number and in age.

    A key is kept ``ttl`` seconds after it was last seen (default two hours, longer than ClickSend's
    retries last), and at most ``max_keys`` keys (default 100 000: some 20 MB of receipt keys, 40 MB at
    most, for :func:`dedup_key` hashes a long one) are kept: past that, the least recently seen goes
    first. Use one store per process; with several processes or hosts behind one URL, use a shared store
    (see :class:`DedupStore`).
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
            del self._expiry[oldest]
        known = key in self._expiry
        self._expiry[key] = now + self.ttl
        self._expiry.move_to_end(key)
        while len(self._expiry) > self.max_keys:
            self._expiry.popitem(last=False)
        return known

    async def forget(self, key: str) -> None:
        self._expiry.pop(key, None)


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
