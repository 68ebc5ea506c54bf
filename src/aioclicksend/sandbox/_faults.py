"""Fault injection and the counters tests read: configurable per server, changeable while it runs."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

RATES = ("error_rate", "error_after_rate", "drop_rate", "spike_rate")


def _check_setting(name: str, value: Any) -> None:
    """Refuses a value a fault setting cannot take, with a message naming the setting."""
    if value is None and name in ("rate_limit", "seed"):
        return
    if name == "seed":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"seed must be an integer or None, not {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -math.inf < value < math.inf:
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if name in RATES and not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
    if name == "rate_limit" and value <= 0:
        raise ValueError(f"rate_limit must be positive, not {value!r}")
    if name.endswith("_ms") and value < 0:
        raise ValueError(f"{name} must be 0 or more, not {value!r}")


@dataclass
class Faults:
    """What the sandbox does wrong on purpose. Change the fields at any time; the next request sees them.

    Every field is checked whenever it is set (a ValueError names it), and setting ``seed`` restarts the
    random draws from that seed.
    """

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
    _random: random.Random = field(init=False, repr=False, compare=False)

    if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise allow any attribute name

        def __setattr__(self, name: str, value: Any) -> None:
            _check_setting(name, value)
            super().__setattr__(name, value)
            if name == "seed":  # the draws restart from the new seed
                object.__setattr__(self, "_random", random.Random(value))

    def settings(self) -> dict[str, Any]:
        """The fields as JSON: what ``GET /_sandbox/faults`` answers."""
        return {setting.name: getattr(self, setting.name) for setting in fields(self) if setting.init}

    def draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def error_status(self) -> int:
        return self._random.choice((500, 502, 503))


class RateLimiter:
    """A token bucket per account: ``rate`` tokens a second, at most ``rate`` (and at least 1) stored.

    A bucket that is full again is the same as none, so full buckets are forgotten (looked for once per
    refill time): the memory held is bounded by the accounts seen within the last two refill times.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._forgotten_at = -math.inf

    def __len__(self) -> int:
        """The number of buckets held."""
        return len(self._buckets)

    def acquire(self, account: str, rate: float, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds until it could."""
        now = time.monotonic() if now is None else now
        capacity = max(rate, 1.0)
        if now - self._forgotten_at >= capacity / rate:
            self._buckets = {
                name: (tokens, last)
                for name, (tokens, last) in self._buckets.items()
                if tokens + (now - last) * rate < capacity
            }
            self._forgotten_at = now
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

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON: what ``GET /_sandbox/counters`` answers."""
        return {
            "requests": dict(self.requests),
            "answered": {str(status): count for status, count in self.answered.items()},
            "rate_limited": self.rate_limited,
            "injected_errors": self.injected_errors,
            "dropped": self.dropped,
            "spiked": self.spiked,
            "deliveries": self.deliveries.total(),
            "duplicates": [
                {"channel": channel, "key": key, "count": count}
                for (channel, key), count in self.duplicates().items()
            ],
        }

    def reset(self) -> None:
        """Every counter back to zero, in place (references to this object stay valid)."""
        vars(self).update(vars(Counters()))

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
