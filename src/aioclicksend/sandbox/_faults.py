"""Fault injection and the counters tests read: configurable per server, changeable while it runs."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the sandbox does wrong on purpose. Change the fields at any time; the next request sees them."""

    latency_ms: float = 0.0
    """Added to every answer."""
    rate_limit: float | None = None
    """Requests per second allowed per account (a token bucket of one second's burst); beyond it, 429."""
    error_rate: float = 0.0
    """Share of requests answered 500, 502 or 503 before anything is done."""
    error_after_rate: float = 0.0
    """Share of requests answered 500, 502 or 503 after they were carried out (the ambiguous case)."""
    drop_rate: float = 0.0
    """Share of requests whose connection is closed without an answer, after they were carried out."""
    spike_rate: float = 0.0
    """Share of requests answered ``spike_ms`` late, after they were carried out (a latency spike)."""
    spike_ms: float = 0.0
    seed: int | None = None
    """Seed of the random draws, for reproducible runs."""
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        for name in ("error_rate", "error_after_rate", "drop_rate", "spike_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError(f"rate_limit must be positive, not {self.rate_limit!r}")
        self._random.seed(self.seed)

    def draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def error_status(self) -> int:
        return self._random.choice((500, 502, 503))


class RateLimiter:
    """A token bucket per account: ``rate`` tokens a second, at most ``rate`` (and at least 1) stored."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, account: str, rate: float, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds until it could."""
        now = time.monotonic() if now is None else now
        capacity = max(rate, 1.0)
        tokens, last = self._buckets.get(account, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[account] = (tokens - 1.0, now)
            return 0.0
        self._buckets[account] = (tokens, now)
        return (1.0 - tokens) / rate


@dataclass
class Counters:
    """What the sandbox received and did, for tests to assert on."""

    requests: Counter[str] = field(default_factory=Counter)
    """Requests received per operationId (including refused ones)."""
    answered: Counter[int] = field(default_factory=Counter)
    """Answers sent per HTTP status."""
    rate_limited: int = 0
    injected_errors: int = 0
    dropped: int = 0
    spiked: int = 0
    deliveries: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Messages accepted for delivery, per (channel, message key): a count above 1 is a duplicate."""

    def duplicates(self) -> dict[tuple[str, str], int]:
        """Messages accepted more than once."""
        return {key: count for key, count in self.deliveries.items() if count > 1}

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
