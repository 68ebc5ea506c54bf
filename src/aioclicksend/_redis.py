"""What the SDK's Redis-backed helpers share (the shared throttle, the webhook dedup store): redis-py's
asyncio client, imported on first use, with bounded socket timeouts, and Redis's address as errors and
logs show it, without a password."""

from __future__ import annotations

import math
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import Self
from yarl import URL

from ._core.exceptions import ClientConfigurationError, ClientStateError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["RedisBacked", "positive_seconds"]

_T = TypeVar("_T")

SCHEMES = ("redis", "rediss", "unix")


class RedisBacked:
    """A helper that keeps its state in the Redis at ``url``: it connects on first use, waits at most
    ``timeout`` seconds for a connection or an answer, and tries a failed command once more on a fresh
    connection (Redis closes them as it restarts)."""

    def __init__(self, url: str, timeout: float) -> None:
        owner = type(self).__name__
        parsed = _redis_url(url)
        if parsed is None:
            raise ClientConfigurationError(f"{owner}: url must be a redis://, rediss:// or unix:// URL")
        if not positive_seconds(timeout):
            raise ClientConfigurationError(f"{owner}: timeout must be a positive number of seconds")
        try:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import RedisError
        except ImportError:
            raise ClientConfigurationError(
                f"{owner} needs redis-py: pip install 'aioclicksend[redis]'"
            ) from None
        self.address = str(parsed.with_user(None).with_query(None))
        """Redis's URL without its user, password and query (which may hold the password): safe to log."""
        self._secrets = [secret for secret in (parsed.password, parsed.query.get("password")) if secret]
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        try:
            self._redis: Redis = Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as error:
            raise ClientConfigurationError(f"{owner}: url: {self._hide(str(error))}") from None

    async def check(self) -> None:
        """Ask Redis for a PING: a :class:`~aioclicksend.ClientConfigurationError` naming its address
        (never the password) if it does not answer."""
        try:
            await self._redis.ping()
        except self._errors as error:
            raise ClientConfigurationError(f"{type(self).__name__}: {self._problem(error)}") from None

    async def aclose(self) -> None:
        """Close the connections to Redis."""
        await self._redis.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self, command: Awaitable[_T]) -> _T:
        """The answer to a Redis ``command``; a :class:`~aioclicksend.ClientStateError` if none came."""
        try:
            return await command
        except self._errors as error:
            raise ClientStateError(f"{type(self).__name__}: {self._problem(error)}") from None

    def _problem(self, error: BaseException) -> str:
        """Why Redis did not answer, for an error or a log line: its address, never its password."""
        return self._hide(f"Redis at {self.address} did not answer: {type(error).__name__}: {error}")[:500]

    def _hide(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _script(self, source: str) -> AsyncScript:
        """A Lua script run with EVALSHA (loaded again with SCRIPT LOAD when Redis answers NOSCRIPT)."""
        return self._redis.register_script(source)


def _redis_url(url: Any) -> URL | None:
    """``url`` parsed, if it is a Redis URL."""
    try:
        parsed = URL(url) if isinstance(url, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.scheme in SCHEMES else None


def positive_seconds(value: Any) -> bool:
    """Whether ``value`` is a number of seconds above 0 (and finite)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and 0 < value < math.inf
