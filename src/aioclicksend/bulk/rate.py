"""Client-side pacing of requests that backs off when ClickSend answers 429 and recovers when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator

from .._core.exceptions import RateLimitError
from .._core.hooks import AttemptInfo

__all__ = ["AdaptiveRate"]

logger = logging.getLogger("aioclicksend")


class AdaptiveRate:
    """At most ``rate`` request starts a second (``None``: no limit), adapted to the server's 429s.

    A 429 (a burst of them from concurrent requests counts once) brings the rate down to 90 % of the
    rate of requests that succeeded over the last seconds, or halves it when none did; after
    ``quiet_period`` seconds without one the rate grows by a quarter each second, up to ``max_rate``.
    With no ``max_rate`` the limit is lifted again once it is back above twice the rate that was
    being sent at when the first 429 came.
    """

    def __init__(
        self,
        max_rate: float | None = None,
        *,
        quiet_period: float = 3.0,
        min_rate: float = 0.5,
    ) -> None:
        if max_rate is not None and not (math.isfinite(max_rate) and max_rate > 0):
            raise ValueError(f"max_rate: must be a positive number of requests a second, not {max_rate!r}")
        self.max_rate = max_rate
        self.rate = max_rate
        self.quiet_period = quiet_period
        self.min_rate = min(min_rate, max_rate) if max_rate else min_rate
        self._next_start = 0.0
        self._last_throttle = -math.inf
        self._last_change = -math.inf
        self._lift_above = math.inf
        self._starts: deque[float] = deque(maxlen=32)
        self._successes: deque[float] = deque(maxlen=1024)

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        """The attempt hook: waits for a slot, then learns of a success or a 429."""
        await self.wait()
        try:
            yield
        except RateLimitError:
            self.throttled()
            raise
        self.succeeded()

    async def wait(self) -> None:
        """Wait for the next free slot, then count a request start."""
        now = time.monotonic()
        self._recover(now)
        if self.rate is not None:
            start = max(now, self._next_start)
            self._next_start = start + 1.0 / self.rate
            if start > now:
                await asyncio.sleep(start - now)
        self._starts.append(time.monotonic())

    def succeeded(self) -> None:
        """Record a request the server accepted."""
        self._successes.append(time.monotonic())

    def throttled(self) -> None:
        """Record a 429 answer."""
        now = time.monotonic()
        if now - self._last_throttle < 0.5:
            return
        current = self.rate if self.rate is not None else self._observed_rate()
        if self.max_rate is None and self.rate is None:
            self._lift_above = 2 * current
        served = self._success_rate(now)
        target = 0.9 * served if served else current / 2
        self.rate = max(self.min_rate, min(current, target))
        self._next_start = max(self._next_start, now + 1.0 / self.rate)
        self._last_throttle = self._last_change = now
        logger.info("ClickSend answered 429: slowing to %.1f requests a second", self.rate)

    def _observed_rate(self) -> float:
        if len(self._starts) < 2 or self._starts[-1] <= self._starts[0]:
            return 2 * self.min_rate
        return (len(self._starts) - 1) / (self._starts[-1] - self._starts[0])

    def _success_rate(self, now: float, window: float = 2.0) -> float:
        """Successes a second over the last ``window`` seconds (or since the first request, if later)."""
        if not self._starts:
            return 0.0
        span = min(window, now - self._starts[0])
        recent = sum(1 for moment in self._successes if moment >= now - span)
        return recent / span if span > 0 else 0.0

    def _recover(self, now: float) -> None:
        if self.rate is None or now - self._last_throttle < self.quiet_period or now - self._last_change < 1:
            return
        self._last_change = now
        self.rate *= 1.25
        if self.max_rate is not None:
            self.rate = min(self.rate, self.max_rate)
        elif self.rate > self._lift_above:
            self.rate = None
