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
import logging
import time
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random

from .exceptions import APIConnectionError, APIStatusError, InternalServerError, RateLimitError

__all__ = ["RetryPolicy", "parse_retry_after", "should_retry"]

logger = logging.getLogger("aioclicksend")


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


class _WaitRetryAfterOrBackoff(wait_base):
    def __init__(self, backoff: wait_base, max_retry_after: float) -> None:
        self.backoff = backoff
        self.max_retry_after = max_retry_after

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, APIStatusError):
            delay = parse_retry_after(error.headers.get("Retry-After"))
            if delay is not None:
                return min(delay, self.max_retry_after)
        return float(self.backoff(retry_state))


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts; which failures are retried is fixed (see the module doc)."""

    initial_backoff: float = 0.5
    """Seconds before the first retry when the answer gives no ``Retry-After``; doubles each time."""
    max_backoff: float = 8.0
    """Longest backoff between two attempts."""
    max_retry_after: float = 60.0
    """Longest ``Retry-After`` honoured; a longer one is cut to this."""

    def retrying(self, *, max_retries: int, idempotent: bool, operation: str) -> AsyncRetrying:
        """A tenacity controller for one request: ``max_retries`` retries after the first attempt.

        Each retry is logged at INFO (``operation`` names the call; no header or body is logged).
        """

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            reason = f"HTTP {error.status}" if isinstance(error, APIStatusError) else type(error).__name__
            logger.info(
                "%s: %s; retrying in %.2f s (attempt %d of %d)",
                operation,
                reason,
                wait,
                state.attempt_number + 1,
                max_retries + 1,
            )

        return AsyncRetrying(
            stop=stop_after_attempt(max_retries + 1),
            wait=_WaitRetryAfterOrBackoff(
                wait_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
                + wait_random(0, self.initial_backoff),
                self.max_retry_after,
            ),
            retry=retry_if_exception(lambda error: should_retry(error, idempotent=idempotent)),
            sleep=_sleep,
            before_sleep=log_retry,
            reraise=True,
        )
