"""How a client signs its requests: the credentials of an API, kept out of every repr, error and log."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .answer import Answer
    from .operation import Operation

__all__ = ["BasicCredentials", "Credentials", "SendOnce"]


class SendOnce(Protocol):
    """One attempt of a request through the client's core, for credentials that ask for a token: unsigned,
    never retried, within the client's timeout and answer-size cap, redirected only within its origin."""

    async def __call__(
        self, operation: Operation[Any], url: str, *, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer: ...


class Credentials:
    """The headers that authenticate a request; ``None`` when the client has no credentials."""

    missing = "no credentials were given"
    """What to tell a caller whose client has none (and how to give them)."""

    def headers(self) -> dict[str, str] | None:
        raise NotImplementedError

    async def ready(self, send: SendOnce) -> None:
        """Before a request that needs them: get what the headers need, if it is not there yet (a token)."""

    async def refresh(self, send: SendOnce) -> bool:
        """After a 401: get fresh credentials if these can be renewed (a session token); whether they were."""
        return False

    def problems(self) -> list[str]:
        """What is wrong with what was given (checked when the client is made)."""
        return []


class BasicCredentials(Credentials):
    """HTTP Basic auth: a username and an API key (ClickSend)."""

    missing = "pass username= and api_key= to AsyncClickSend or set CLICKSEND_USERNAME and CLICKSEND_API_KEY"

    def __init__(self, username: str | None, api_key: str | None) -> None:
        self.username = username
        self._given = {"username": username, "api_key": api_key}
        self._header: dict[str, str] | None = None
        if isinstance(username, str) and isinstance(api_key, str) and username and api_key:
            token = base64.b64encode(f"{username}:{api_key}".encode()).decode("ascii")
            self._header = {"Authorization": f"Basic {token}"}

    def headers(self) -> dict[str, str] | None:
        return self._header

    def problems(self) -> list[str]:
        return [
            f"{name}: must be a str, not {type(value).__name__}"
            for name, value in self._given.items()
            if value is not None and not isinstance(value, str)
        ]

    def __repr__(self) -> str:
        return f"username={self.username!r}"
