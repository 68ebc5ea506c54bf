"""The client users construct."""

from __future__ import annotations

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
        timeout: default timeout of each request: seconds, an :class:`aiohttp.ClientTimeout`, or ``None``.
        max_retries: default number of retries after the first attempt (see the README's retry rules).
        session: an :class:`aiohttp.ClientSession` of yours to send the requests with.
        retry_policy: backoff settings between retries.
    """
