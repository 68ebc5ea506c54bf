"""The client users construct."""

from __future__ import annotations

import os

from typing_extensions import Unpack

from ._core.auth import BasicCredentials
from ._core.client import DEFAULT_BASE_URL, ClientSettings
from ._generated.client import GeneratedClient

__all__ = ["AsyncClickSend"]


class AsyncClickSend(GeneratedClient):
    """Asynchronous client for the ClickSend REST API v3.

    Credentials come from the arguments or, when left out, from the ``CLICKSEND_USERNAME`` and
    ``CLICKSEND_API_KEY`` environment variables; ``CLICKSEND_BASE_URL`` overrides the API address.
    Use it as an async context manager (or call :meth:`close`) so its connection pool is closed.
    A ``session`` you pass in is used for every request and left open for you to close.

    Args:
        username: API username.
        api_key: API key (the password of Basic auth).
        base_url: API address, e.g. a sandbox's; default ``https://rest.clicksend.com/v3``.
        settings: ``timeout``, ``max_retries``, ``session``, ``retry_policy``, ``max_response_size``,
            ``connection_limit``, ``trust_env``, ``allow_insecure_http``, ``hooks`` (around every attempt),
            ``max_rate`` (attempts a second) (see :class:`ClientSettings`).
    """

    def __init__(
        self,
        username: str | None = None,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        self.username = username if username is not None else os.environ.get("CLICKSEND_USERNAME")
        super().__init__(
            credentials=BasicCredentials(
                self.username, api_key if api_key is not None else os.environ.get("CLICKSEND_API_KEY")
            ),
            base_url=base_url or os.environ.get("CLICKSEND_BASE_URL") or DEFAULT_BASE_URL,
            **settings,
        )
