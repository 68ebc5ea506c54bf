"""What a failure to exchange a request is, in our errors (the request loop's and a document stream's)."""

from __future__ import annotations

import asyncio

import aiohttp

from .exceptions import APIConnectionError, APITimeoutError

__all__ = ["transport_error"]


def transport_error(
    error: Exception, *, method: str, url: str, stage: str = "while waiting for the answer"
) -> APIConnectionError:
    """Our error for a failure to exchange a request (``stage`` says at which point): a timeout is an
    :class:`APITimeoutError`, and ``request_sent`` is ``False`` only when nothing can have been sent.

    Anything that is not aiohttp's may have been sent too, so it is never repeated blindly. The error is
    to be raised ``from None``: aiohttp's request info holds the headers (the credentials).
    """
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(f"timed out connecting: {error}", method=method, url=url, request_sent=False)
    if isinstance(error, aiohttp.ClientConnectorError):
        message = f"cannot connect: {error.os_error or error}"
        return APIConnectionError(message, method=method, url=url, request_sent=False)
    if isinstance(error, asyncio.TimeoutError):
        return APITimeoutError(f"timed out {stage}", method=method, url=url, request_sent=True)
    happened = "connection lost" if isinstance(error, aiohttp.ClientError) else "request failed"
    message = f"{happened} {stage}: {type(error).__name__}: {error}"
    return APIConnectionError(message, method=method, url=url, request_sent=True)
