"""Fault injection and the counters tests read: configurable per server, changeable while it runs."""

from __future__ import annotations

import functools
import math
import random
import time
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

__all__ = ["Counters", "FaultSetting", "Faults", "RateLimiter", "fault_settings"]


@dataclass(frozen=True)
class _Bound:
    """A limit a fault setting's number keeps, and how its error message says it."""

    words: str
    holds: Callable[[float], bool]


SHARE = _Bound("between 0 and 1", lambda value: 0 <= value <= 1)
POSITIVE = _Bound("positive", lambda value: value > 0)
NOT_NEGATIVE = _Bound("0 or more", lambda value: value >= 0)


def _setting(default: Any, help: str, bound: _Bound | None = None) -> Any:
    """A field of :class:`Faults`: its ``help`` is the command line's and its ``bound`` is checked."""
    return field(default=default, metadata={"help": help, "bound": bound})


@dataclass
class Faults:
    """What the sandbox does wrong on purpose. Change the fields at any time; the next request sees them.

    Every field is checked whenever it is set (a ValueError names it), and setting ``seed`` restarts the
    random draws from that seed. The fields are also the command line's flags (``--error-rate``…) and
    the JSON of ``/_sandbox/faults``.
    """

    latency_ms: float = _setting(0.0, "milliseconds added to every answer", NOT_NEGATIVE)
    rate_limit: float | None = _setting(
        None,
        "requests per second allowed per account (a token bucket of one second's burst); beyond it, 429",
        POSITIVE,
    )
    error_rate: float = _setting(
        0.0, "share of requests answered 500, 502 or 503 before anything is done", SHARE
    )
    error_after_rate: float = _setting(
        0.0,
        "share of requests answered 500, 502 or 503 after they were carried out (the ambiguous case)",
        SHARE,
    )
    drop_rate: float = _setting(
        0.0,
        "share of requests whose connection is closed without an answer, after they were carried out",
        SHARE,
    )
    spike_rate: float = _setting(
        0.0, "share of requests answered spike_ms late, after they were carried out (a latency spike)", SHARE
    )
    spike_ms: float = _setting(0.0, "how many milliseconds late a spiked answer comes", NOT_NEGATIVE)
    seed: int | None = _setting(None, "seed of the random draws, for reproducible runs")
    _random: random.Random = field(init=False, repr=False, compare=False)

    if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise allow any attribute name

        def __setattr__(self, name: str, value: Any) -> None:
            _setting_named(name).check(value)
            super().__setattr__(name, value)
            if name == "seed":  # the draws restart from the new seed
                object.__setattr__(self, "_random", random.Random(value))

    def settings(self) -> dict[str, Any]:
        """The fields as JSON: what ``GET /_sandbox/faults`` answers."""
        return {setting.name: getattr(self, setting.name) for setting in fault_settings()}

    def draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def error_status(self) -> int:
        return self._random.choice((500, 502, 503))


@dataclass(frozen=True)
class FaultSetting:
    """A field of :class:`Faults` as the command line and the checks see it."""

    name: str
    type: type[int] | type[float]
    optional: bool
    """Whether it may be None (off)."""
    default: Any
    help: str
    bound: _Bound | None

    def check(self, value: Any) -> None:
        """Refuses a value the setting cannot take, with a message naming the setting."""
        if value is None and self.optional:
            return
        or_none = " or None" if self.optional else ""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            valid = False
        elif self.type is int:
            valid = isinstance(value, int)
        else:
            valid = -math.inf < value < math.inf  # not math.isfinite: it overflows on a huge int
        if not valid:
            words = "an integer" if self.type is int else "a finite number"
            raise ValueError(f"{self.name} must be {words}{or_none}, not {value!r}")
        if self.bound is not None and not self.bound.holds(value):
            raise ValueError(f"{self.name} must be {self.bound.words}, not {value!r}")


@functools.cache
def fault_settings() -> tuple[FaultSetting, ...]:
    """The settings of :class:`Faults`, read from its fields: name, type, default, help and bound."""
    hints = typing.get_type_hints(Faults)
    found = []
    for setting in fields(Faults):
        if not setting.init:
            continue
        types = typing.get_args(hints[setting.name]) or (hints[setting.name],)
        found.append(
            FaultSetting(
                name=setting.name,
                type=next(kind for kind in types if kind is not type(None)),
                optional=type(None) in types,
                default=setting.default,
                help=setting.metadata["help"],
                bound=setting.metadata["bound"],
            )
        )
    return tuple(found)


def _setting_named(name: str) -> FaultSetting:
    found = next((setting for setting in fault_settings() if setting.name == name), None)
    if found is None:
        raise AttributeError(f"{name}: not a fault setting")
    return found


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
