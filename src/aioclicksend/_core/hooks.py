"""Attempt hooks: async context managers around every attempt of every request of a client.

A hook is any object with ``attempt(info) -> AsyncContextManager``. The client enters the context of
each of its hooks (in the order given, then a call's own) just before an attempt leaves, and leaves them
once the attempt is over, whatever its end: an answer, an error, or the task being cancelled. So a hook
can wait before the attempt (a throttle), refuse it (raise :class:`AttemptRefusedError`: nothing is
sent, nothing is retried), and learn how it went (the exception its ``__aexit__`` gets, and
:class:`AttemptInfo`'s ``status`` / ``headers`` / ``retry_after``, filled in once an answer came).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .exceptions import AttemptRefusedError, ClickSendError, ClientConfigurationError
from .retry import parse_retry_after

if TYPE_CHECKING:
    from .operation import Operation

__all__ = ["AttemptHook", "AttemptInfo", "AttemptRequest", "RateLimit", "around_attempt", "hook_problems"]


class AttemptRequest(NamedTuple):
    """The request an attempt sends, as a hook may see it: never the credentials."""

    method: str
    url: str
    """With its query string; the API's address never holds credentials."""
    headers: Mapping[str, str]
    """The headers the SDK sets (``Accept``, ``Content-Type``, ``extra_headers``), not the credentials'."""
    body_size: int | None
    """Bytes of the body (0: none); ``None`` for a document's multipart body, made as it is sent."""


@dataclass(slots=True)
class AttemptInfo:
    """One attempt: what it is, and (once an answer came, before the hooks exit) how it was answered."""

    operation: Operation[Any]
    request: AttemptRequest
    number: int
    """1 for the first attempt of a call, 2 for its first retry…"""
    status: int | None = None
    """The answer's HTTP status; ``None`` while there is none (or when no answer came)."""
    headers: Mapping[str, str] | None = None
    """The answer's headers."""
    retry_after: float | None = None
    """Seconds the answer's ``Retry-After`` asks to wait (a 429's, a 503's), if it gives them."""

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        self.status, self.headers = status, headers
        self.retry_after = parse_retry_after(headers.get("Retry-After"))


class AttemptHook(Protocol):
    """Wraps every attempt: its context is entered before the attempt leaves and always exited."""

    def attempt(self, info: AttemptInfo) -> AbstractAsyncContextManager[object]:
        """The context the attempt ``info`` runs in: it may wait or raise before, and is told after."""
        ...


def hook_problems(hooks: Any) -> list[str]:
    """What is wrong with a client's ``hooks``: a list of objects that have an ``attempt`` method."""
    if not isinstance(hooks, (list, tuple)):
        return [f"hooks: must be a list of hooks, not {type(hooks).__name__}"]
    return [
        f"hooks[{index}]: {type(hook).__name__} has no attempt(info) method"
        for index, hook in enumerate(hooks)
        if not callable(getattr(hook, "attempt", None))
    ]


@contextlib.asynccontextmanager
async def around_attempt(hooks: Sequence[AttemptHook], info: AttemptInfo) -> AsyncIterator[None]:
    """The hooks' contexts, entered in order and exited in reverse, however the attempt ends. One that
    fails to enter with an error that is not ours refuses the attempt; none can swallow its end."""
    stack = contextlib.AsyncExitStack()
    try:
        for hook in hooks:
            try:
                await stack.enter_async_context(hook.attempt(info))
            except ClickSendError:
                raise
            except Exception as error:
                problem = f"{type(hook).__name__}.attempt failed: {type(error).__name__}: {error}"
                raise AttemptRefusedError(info.operation.name, problem) from error
        yield
    except BaseException as error:
        await stack.__aexit__(type(error), error, error.__traceback__)
        raise  # even if a hook's exit said to suppress it: a refusal is not a send, an error not data
    await stack.aclose()


class RateLimit:
    """A token bucket: at most ``rate`` attempts a second, ``burst`` of them at once after a quiet spell.

    The hook behind a client's ``max_rate=``; shared by every call of the client and its bulk jobs.
    """

    def __init__(self, rate: float, *, burst: int = 1) -> None:
        if (
            rate is None
            or self.problem(rate)
            or isinstance(burst, bool)
            or not isinstance(burst, int)
            or burst < 1
        ):
            raise ClientConfigurationError(
                "RateLimit: rate must be a number of attempts a second above 0 and burst an int of 1 or "
                f"more, not {rate!r:.80} and {burst!r:.80}"
            )
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate) - 1
        self._updated = now
        if self._tokens < 0:  # the token is taken now, and waited for: later attempts queue behind it
            try:
                await asyncio.sleep(-self._tokens / self.rate)
            except asyncio.CancelledError:
                self._tokens += 1  # never sent: its token goes back
                raise
        yield

    @staticmethod
    def problem(rate: Any) -> str | None:
        """Why ``rate`` is not a ``max_rate``: a number of attempts a second above 0, or ``None``."""
        if rate is None or (
            isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate) and rate > 0
        ):
            return None
        return f"max_rate: must be a number of requests a second above 0, or None, not {rate!r:.80}"
