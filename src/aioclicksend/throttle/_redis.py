"""A pace shared in Redis by every worker that sends for one ClickSend account."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator

from .._core.exceptions import ClientConfigurationError
from .._core.hooks import AttemptInfo, RateLimit
from .._redis import RedisBacked
from ..bulk.rate import AdaptiveRate

__all__ = ["RedisThrottle"]

logger = logging.getLogger("aioclicksend")

MIN_RATE = 0.5
"""The lowest rate 429s bring the shared rate down to (attempts a second), as the bulk jobs' pace."""
QUIET_PERIOD = 3.0
"""Seconds without a 429 after which the rate grows again, by a quarter each second."""
MAX_PAUSE = 60.0
"""The longest pause a ``Retry-After`` makes (a server asking for hours is not obeyed): the retry
policy's ``max_retry_after``."""
PROBE_INTERVAL = 1.0
"""While Redis does not answer, how often one attempt asks it again (the others pace locally)."""
KEY_LIFETIME_MS = 3_600_000
"""An account's state is dropped an hour after its last attempt (it then starts again at ``rate``)."""

# The state of an account in the hash KEYS[1]: "next_free", the start of the next free slot (a token
# bucket that holds one token); "paused_until", set from a 429's Retry-After; "rate", in attempts a second
# ("" for no limit), halved by a 429 and grown by a quarter a second after a quiet spell, lifted again
# once above "lift_above" (twice the pace of the first 429) when no rate was configured; and the attempts
# counted in the current second ("window", "count") and the one before ("previous"). Times are Redis's.
# ARGV: "take" or "throttled"; the configured rate ("" for none); the lowest rate; the quiet spell; the
# hash's lifetime in ms; for "throttled", the Retry-After seconds ("" for none) and the time the attempt's
# slot was taken at. "take" answers {seconds to wait, rate, now}; "throttled" answers {rate}.
SCRIPT = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local names = {'rate', 'next_free', 'paused_until', 'last_throttle', 'last_change', 'lift_above',
               'window', 'count', 'previous'}
local values = redis.call('HMGET', KEYS[1], unpack(names))
local s = {}
for index, name in ipairs(names) do s[name] = tonumber(values[index]) end
local max_rate, min_rate, quiet = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if max_rate then s.rate = math.min(s.rate or max_rate, max_rate) end

local function text(number)
  if number == nil then return '' end
  return string.format('%.6f', number)
end

local window = math.floor(now)
if window ~= s.window then
  s.previous = (window == (s.window or 0) + 1) and (s.count or 0) or 0
  s.window, s.count = window, 0
end

local answer
if ARGV[1] == 'take' then
  if s.rate and now - (s.last_throttle or 0) >= quiet and now - (s.last_change or 0) >= 1 then
    s.last_change = now
    s.rate = s.rate * 1.25
    if max_rate then s.rate = math.min(s.rate, max_rate)
    elseif s.rate > (s.lift_above or math.huge) then s.rate = nil end
  end
  s.count = s.count + 1
  local start = math.max(now, s.next_free or 0, s.paused_until or 0)
  s.next_free = s.rate and start + 1 / s.rate or start
  answer = {text(start - now), text(s.rate), text(now)}
else
  local retry_after, taken = tonumber(ARGV[6]), tonumber(ARGV[7])
  if taken >= (s.last_throttle or 0) then  -- else a 429 of the burst that slowed the pace already
    local current = s.rate or math.max(s.previous, s.count, 2 * min_rate)
    if not s.rate and not max_rate then s.lift_above = 2 * current end
    s.rate = math.max(min_rate, current / 2)
    s.last_throttle, s.last_change = now, now
    s.next_free = math.max(s.next_free or 0, now + 1 / s.rate)
  end
  if retry_after then s.paused_until = math.max(s.paused_until or 0, now + retry_after) end
  answer = {text(s.rate)}
end

local fields = {}
for _, name in ipairs(names) do
  table.insert(fields, name)
  table.insert(fields, text(s[name]))
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return answer
"""


class RedisThrottle(RedisBacked):
    """An attempt hook that paces every worker sending for one ClickSend account, through Redis.

    ``AsyncClickSend(..., hooks=[RedisThrottle("redis://redis:6379/0", rate=20)])`` in each worker (each
    process, each machine): together they start at most ``rate`` attempts a second (``None``: no limit
    until ClickSend answers 429), the next slot taken atomically by one Lua script. A 429 seen by any
    worker halves the shared rate and holds every worker back for its ``Retry-After``; after a quiet
    spell of 3 s the rate grows by a quarter a second, as a bulk job's own pace does.

    ``key`` names the account whose workers share the pace: your ClickSend username by default, read
    from ``CLICKSEND_USERNAME``; it is hashed before it reaches Redis. If Redis does not answer when the
    hook is first used (or at ``await throttle.check()``), a :class:`~aioclicksend.ClientConfigurationError`
    names its address; if it stops answering later, each worker paces itself (a bulk job's adaptive
    pace, from the last shared rate) with one WARNING on the ``aioclicksend`` logger, and shares the pace
    again once Redis answers. Nothing waits more than ``timeout`` seconds for Redis to connect or answer.
    Close the throttle (``await throttle.aclose()``, or ``async with``) when done.
    """

    def __init__(
        self, url: str, *, key: str | None = None, rate: float | None = None, timeout: float = 2.0
    ) -> None:
        if RateLimit.problem(rate):
            raise ClientConfigurationError(
                "RedisThrottle: rate must be a number of attempts a second above 0, or None, "
                f"not {rate!r:.80}"
            )
        account = key if key is not None else os.environ.get("CLICKSEND_USERNAME")
        if not isinstance(account, str) or not account:
            raise ClientConfigurationError(
                "RedisThrottle: key must name the account the workers share: pass key= (your ClickSend "
                "username, say) or set CLICKSEND_USERNAME"
            )
        super().__init__(url, timeout)
        self.rate = rate
        self.shared_rate = rate
        """The account's rate as Redis last told it (``None``: no limit)."""
        digest = hashlib.sha256(account.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        self.redis_key = f"aioclicksend:throttle:{digest}"
        self._pace = self._script(SCRIPT)
        self._reached = False
        self._local: AdaptiveRate | None = None
        """The pace of this process alone, while Redis does not answer."""
        self._next_probe = 0.0

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        """Waits for the account's next slot (or the local pace's), and tells Redis of a 429."""
        if not self._reached:
            await self.check()
            self._reached = True
        slot = await self._take()
        if isinstance(slot, AdaptiveRate):
            async with slot.attempt(info):
                yield
            return
        try:
            yield
        finally:
            if info.status == 429:
                retry_after = min(info.retry_after, MAX_PAUSE) if info.retry_after is not None else None
                await self._call("throttled", retry_after, slot)

    async def _take(self) -> float | AdaptiveRate:
        """Wait for the account's next slot: the Redis time it was taken at; or, while Redis does not
        answer, the local pace to wait for instead."""
        if self._local is None or time.monotonic() >= self._next_probe:
            answer = await self._call("take")
            if answer is not None:
                wait, _, taken = answer
                await asyncio.sleep(wait or 0.0)
                return taken or 0.0
        assert self._local is not None  # set when Redis did not answer
        return self._local

    async def _call(self, operation: str, *arguments: float | None) -> list[float | None] | None:
        """Run the script's ``operation``: its numbers, or ``None`` if Redis did not answer."""
        self._next_probe = time.monotonic() + PROBE_INTERVAL  # the other attempts pace locally meanwhile
        numbers = [self.rate, MIN_RATE, QUIET_PERIOD, KEY_LIFETIME_MS, *arguments]
        try:
            answer = await self._pace(
                keys=[self.redis_key], args=[operation, *("" if n is None else repr(n) for n in numbers)]
            )
        except self._errors as error:
            if self._local is None:
                logger.warning(
                    "RedisThrottle: %s; pacing this process alone until it does", self._problem(error)
                )
                self._local = AdaptiveRate(self.rate)
                self._local.rate = self.shared_rate
            return None
        if self._local is not None:
            logger.info("RedisThrottle: Redis at %s answers again; the pace is shared again", self.address)
            self._local = None
        values = [float(value) if value else None for value in answer]
        self.shared_rate = values[1] if operation == "take" else values[0]
        return values
