"""The retry policy carried out by tenacity: imported when a request is first retried (most never are)."""

from __future__ import annotations

import logging

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random

from . import retry
from .exceptions import APIStatusError
from .retry import RetryPolicy, parse_retry_after, should_retry

__all__ = ["controller"]

logger = logging.getLogger("aioclicksend")


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


def controller(policy: RetryPolicy, *, max_retries: int, idempotent: bool, operation: str) -> AsyncRetrying:
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
            wait_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)
            + wait_random(0, policy.initial_backoff),
            policy.max_retry_after,
        ),
        retry=retry_if_exception(lambda error: should_retry(error, idempotent=idempotent)),
        sleep=retry._sleep,  # (read now: a test may have swapped it)
        before_sleep=log_retry,
        reraise=True,
    )
