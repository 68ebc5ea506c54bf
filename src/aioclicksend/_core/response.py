"""Raw responses: the parsed result together with the HTTP status, headers and the envelope."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

__all__ = ["RawResponse", "to_raw_response_wrapper"]

_T = TypeVar("_T")
_P = ParamSpec("_P")


@dataclass(frozen=True)
class RawResponse(Generic[_T]):
    """One answer of the API: what the method would have returned (``data``) and everything around it."""

    data: _T
    """The parsed ``data`` of the envelope, as the plain method returns it."""
    status: int
    headers: Mapping[str, str]
    method: str
    url: str
    envelope: Mapping[str, Any]
    """The envelope around the data: its other fields (ClickSend: ``http_code``, ``response_code``,
    ``response_msg``; Kazoo: ``status``, ``request_id``, ``next_start_key``…)."""
    content: bytes
    """The body exactly as received."""

    @property
    def http_code(self) -> int | None:
        """The envelope's ``http_code``."""
        return self.envelope.get("http_code")

    @property
    def response_code(self) -> str | None:
        """The envelope's ``response_code``, e.g. ``SUCCESS``."""
        return self.envelope.get("response_code")

    @property
    def response_msg(self) -> str | None:
        """The envelope's ``response_msg``."""
        return self.envelope.get("response_msg")


def to_raw_response_wrapper(func: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[RawResponse[_T]]]:
    """Type a method of a resource made with ``raw=True`` as what it returns: a :class:`RawResponse`.

    Such a resource asks the request loop for the whole answer explicitly (``RequestOptions.raw``); a
    paged method's pager gives the raw first page when awaited.
    """

    @functools.wraps(func)
    async def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        result: Any = await func(*args, **kwargs)
        return result  # type: ignore[no-any-return]

    return wrapped
