"""The Kazoo faxes client: its address (with the account) and its credentials (an auth token, or an API
key it trades for one). Everything else is the core's and the spec's."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from typing_extensions import Unpack

from .._core.auth import Credentials, SendOnce
from .._core.client import ClientSettings
from .._core.exceptions import (
    AuthenticationError,
    ClientConfigurationError,
    status_error_class,
)
from .._core.operation import Operation
from ._generated.client import GeneratedClient

__all__ = ["AsyncKazoo", "KazooCredentials"]

_API_AUTH: Operation[Any] = Operation(
    id="ApiAuth",
    name="kazoo.api_auth",
    method="PUT",
    path="/api_auth",
    idempotent=True,  # trading a key for a token changes nothing: safe to repeat, or to follow a 307
    result=lambda: Any,
    models=__name__,
    auth=False,
)
"""Kazoo's API-key authentication: outside the faxes API (and its spec), under the API's root."""


class KazooCredentials(Credentials):
    """Kazoo's ``X-Auth-Token`` header: a token given, or one got with an API key.

    With an API key the token is asked of Kazoo's API-key authentication (``PUT /v2/api_auth``,
    ``{"data": {"api_key": …}}``; the token comes back in the envelope's ``auth_token``) before the first
    request, and again, once, when Kazoo answers 401 (the token expired).
    """

    missing = "pass auth_token= or api_key= to AsyncKazoo, or set KAZOO_AUTH_TOKEN or KAZOO_API_KEY"

    def __init__(self, auth_token: str | None, api_key: str | None, api_root: str) -> None:
        self._token = auth_token
        self._api_key = api_key
        self._api_root = api_root
        self._lock = asyncio.Lock()

    def headers(self) -> dict[str, str] | None:
        if self._token:
            return {"X-Auth-Token": self._token}
        return {} if self._api_key else None  # a token is got before the request (ready)

    def problems(self) -> list[str]:
        return [
            f"{name}: must be a str, not {type(value).__name__}"
            for name, value in (("auth_token", self._token), ("api_key", self._api_key))
            if value is not None and not isinstance(value, str)
        ]

    async def ready(self, send: SendOnce) -> None:
        if not self._token and self._api_key:
            await self._renew(send, self._token)

    async def refresh(self, send: SendOnce) -> bool:
        if not self._api_key:
            return False
        await self._renew(send, self._token)
        return True

    async def _renew(self, send: SendOnce, stale: str | None) -> None:
        """A new token for the API key; one request however many calls need it at once."""
        async with self._lock:
            if self._token != stale:  # another call got one meanwhile
                return
            url = f"{self._api_root}/api_auth"
            # One attempt of the core's: the client's timeout, its answer-size limit, and redirects only
            # within the origin (the key never goes elsewhere); a failure is one of our errors.
            answer = await send(
                _API_AUTH,
                url,
                body=json.dumps({"data": {"api_key": self._api_key}}).encode(),
                headers={"Accept": _API_AUTH.accept, "Content-Type": "application/json"},
            )
            status, raw = answer.status, answer.content
            try:
                payload = json.loads(raw) if isinstance(raw, bytes) and raw else {}
            except ValueError:
                payload = None
            token = payload.get("auth_token") if isinstance(payload, dict) else None
            if status >= 300 or not isinstance(token, str) or not token:
                error_class = status_error_class(status) if status >= 300 else AuthenticationError
                raise error_class(
                    status=status,
                    method="PUT",
                    url=url,
                    response_code=payload.get("error") if isinstance(payload, dict) else None,
                    response_msg="Kazoo gave no auth token for the API key",
                    headers={},
                    body=None,
                )
            self._token = token

    def __repr__(self) -> str:
        return "api_key=…" if self._api_key else "auth_token=…"


class AsyncKazoo(GeneratedClient):
    """Asynchronous client for the Kazoo v2 Faxes API of one account.

    Arguments left out come from the environment: ``KAZOO_BASE_URL`` (e.g. ``http://kazoo:8000/v2``),
    ``KAZOO_ACCOUNT_ID``, ``KAZOO_AUTH_TOKEN`` or ``KAZOO_API_KEY``. With an API key the client gets its
    auth token itself, and a fresh one when it expires. The token is never in a repr, an error or a log.
    The settings are those of :class:`~aioclicksend.AsyncClickSend` (``timeout``, ``session``…).
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_id: str | None = None,
        auth_token: str | None = None,
        api_key: str | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        root = (base_url or os.environ.get("KAZOO_BASE_URL") or "").rstrip("/")
        self.account_id = account_id if account_id is not None else os.environ.get("KAZOO_ACCOUNT_ID", "")
        if not root or not isinstance(self.account_id, str) or not self.account_id or "/" in self.account_id:
            raise ClientConfigurationError(
                "AsyncKazoo: base_url (e.g. http://kazoo:8000/v2) and an account_id are needed "
                "(or KAZOO_BASE_URL and KAZOO_ACCOUNT_ID)"
            )
        credentials = KazooCredentials(
            auth_token if auth_token is not None else os.environ.get("KAZOO_AUTH_TOKEN"),
            api_key if api_key is not None else os.environ.get("KAZOO_API_KEY"),
            root,
        )
        super().__init__(credentials=credentials, base_url=f"{root}/accounts/{self.account_id}", **settings)
