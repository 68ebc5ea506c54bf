"""The retry policy: one place that decides which failures are repeated, and how long to wait.

- 429 Too Many Requests: always retried, after ``Retry-After`` (seconds or an HTTP date, capped) when
  the answer has one, else after exponential backoff with jitter.
- A connection failure before anything was sent: always retried.
- 5xx answers, timeouts and connections lost after sending: retried only for operations that are safe
  to repeat (GET, and operations the spec marks ``x-idempotent``). A send that may have reached
  ClickSend is never repeated, so no message goes out twice.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import NamedTuple

from .exceptions import APIConnectionError, InternalServerError, RateLimitError

__all__ = ["RetryPolicy", "parse_retry_after", "should_retry"]


def should_retry(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be retried for an operation that is (or is not) safe to repeat."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, APIConnectionError):
        return idempotent or not error.request_sent
    if isinstance(error, InternalServerError):
        return idempotent
    return False


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class RetryPolicy(NamedTuple):
    """How long to wait between attempts; which failures are retried is fixed (see the module doc)."""

    initial_backoff: float = 0.5
    """Seconds before the first retry when the answer gives no ``Retry-After``; doubles each time."""
    max_backoff: float = 8.0
    """Longest backoff between two attempts."""
    max_retry_after: float = 60.0
    """Longest ``Retry-After`` honoured; a longer one is cut to this."""
