"""A dedup store in Redis, shared by every receiver (replica, worker) behind one URL."""

from __future__ import annotations

import asyncio
import secrets

from .._core.exceptions import ClientConfigurationError
from .._redis import RedisBacked, positive_seconds
from ._dedup import DEFAULT_TTL

__all__ = ["RedisDedupStore"]

DONE = "done"
IN_FLIGHT = "in flight "
"""An in-flight record's value: this, then a token that only the receiver handling the push knows."""

# Delete KEYS[1] if it is still the flight ARGV[1]: not a flight another receiver took after the lease
# lapsed, nor its record done.
FORGET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisDedupStore(RedisBacked):
    """A :class:`~aioclicksend.webhooks.DedupStore` in the Redis at ``url``: receivers that use the same
    Redis and ``prefix`` handle a push once between them, wherever it arrives.

    ``seen`` records a key in flight with ``SET NX`` and a ``lease`` (default 5 minutes: a receiver
    that dies while handling a push does not hold it forever); ``done`` records it done for ``ttl``
    seconds (default two hours, longer than ClickSend's retries last); ``forget`` drops the flight (only
    if it is still this receiver's); ``outcome`` asks every ``poll`` seconds until the key is no longer
    in flight (the receiver bounds that wait). A Redis that does not answer within ``timeout`` seconds
    is a :class:`~aioclicksend.ClientStateError` (the receiver answers 500: ClickSend sends the push
    again); ``await store.check()`` asks it at start. Close the store (``await store.aclose()``) when done.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = DEFAULT_TTL,
        prefix: str = "aioclicksend:dedup:",
        lease: float = 300.0,
        poll: float = 0.1,
        timeout: float = 2.0,
    ) -> None:
        for name, seconds in (("ttl", ttl), ("lease", lease), ("poll", poll)):
            if not positive_seconds(seconds):
                raise ClientConfigurationError(
                    f"RedisDedupStore: {name} must be a positive number of seconds, not {seconds!r:.80}"
                )
        if not isinstance(prefix, str):
            raise ClientConfigurationError(
                f"RedisDedupStore: prefix must be a str, not {type(prefix).__name__}"
            )
        super().__init__(url, timeout)
        self.ttl, self.lease, self.poll, self.prefix = float(ttl), float(lease), float(poll), prefix
        self._forget = self._script(FORGET)
        self._flights: dict[str, str] = {}
        """The value of each flight this store recorded, by key, until it is done or forgotten."""

    async def seen(self, key: str) -> bool:
        flight = IN_FLIGHT + secrets.token_hex(8)
        recorded = await self._run(self._redis.set(self.prefix + key, flight, nx=True, px=_ms(self.lease)))
        if recorded:
            self._flights[key] = flight
        return not recorded

    async def done(self, key: str) -> None:
        self._flights.pop(key, None)
        await self._run(self._redis.set(self.prefix + key, DONE, px=_ms(self.ttl)))

    async def forget(self, key: str) -> None:
        flight = self._flights.pop(key, None)
        if flight is None:
            await self._run(self._redis.delete(self.prefix + key))
        else:
            await self._run(self._forget(keys=[self.prefix + key], args=[flight]))

    async def outcome(self, key: str) -> bool:
        while True:
            state = await self._run(self._redis.get(self.prefix + key))
            if not (isinstance(state, str) and state.startswith(IN_FLIGHT)):
                return state == DONE
            await asyncio.sleep(self.poll)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
