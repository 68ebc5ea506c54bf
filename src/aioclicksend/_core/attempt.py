"""One attempt of a request: sent, its same-origin redirects followed, its answer read within the size cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from .answer import MAX_REDIRECTS, Answer
from .binary import BinaryResponse
from .exceptions import APIResponseValidationError
from .hooks import AttemptRequest
from .transport import transport_error

if TYPE_CHECKING:
    from .operation import Operation

__all__ = ["Origin", "Outgoing", "Transport", "origin_of", "transport_error"]

Origin = tuple[str, str | None, int | None]
"""A URL's scheme, host and port."""


class Outgoing(NamedTuple):
    """A request ready to go but for its credentials' headers, read at each attempt (they may be renewed)."""

    operation: Operation[Any]
    url: str
    params: list[tuple[str, str]]
    headers: Mapping[str, str]
    """The SDK's headers: ``Accept``, and ``Content-Type`` for a JSON body."""
    extra_headers: Mapping[str, str]
    """The caller's, sent last (over the credentials' too)."""
    content: bytes | Callable[[], Any] | None
    """The body; a callable makes a multipart body for each attempt."""
    timeout: aiohttp.ClientTimeout

    def seen_by_hooks(self, hidden: Collection[str]) -> AttemptRequest:
        """The request as attempt hooks see it: without the headers named in ``hidden`` (lower case)."""
        headers = {**self.headers, **self.extra_headers}
        content = self.content
        return AttemptRequest(
            self.operation.method,
            f"{self.url}?{urlencode(self.params)}" if self.params else self.url,
            {name: value for name, value in headers.items() if name.lower() not in hidden},
            None if callable(content) else len(content or b""),
        )


class Transport(NamedTuple):
    """How an attempt goes out: redirects only within ``origin``, answers read up to ``max_response_size``."""

    origin: Origin
    max_response_size: int

    async def send(
        self, session: aiohttp.ClientSession, outgoing: Outgoing, headers: Mapping[str, str]
    ) -> Answer:
        """One attempt, after the redirects that may be followed.

        No aiohttp error is kept as the cause of ours: its request info holds the Authorization header.
        """
        operation, url, params = outgoing.operation, outgoing.url, outgoing.params
        content = outgoing.content
        data = content() if callable(content) else content  # a multipart body is made for each attempt
        one_shot = _resent_by_aiohttp(operation) and not callable(content)
        try:
            for hop in range(MAX_REDIRECTS + 1):
                response = await session.request(
                    operation.method,
                    url,
                    params=params,
                    data=_OneShot(data) if one_shot else data,
                    headers=headers,
                    timeout=outgoing.timeout,
                    allow_redirects=False,
                )
                answer = await self._answer_or_target(operation, response, url, hop == MAX_REDIRECTS)
                if isinstance(answer, Answer):
                    return answer
                url, params = answer, []
        except APIResponseValidationError:
            raise
        except Exception as error:
            raise transport_error(error, method=operation.method, url=url) from None
        raise AssertionError("unreachable: the last hop is never followed")  # pragma: no cover

    async def _answer_or_target(
        self, operation: Operation[Any], response: aiohttp.ClientResponse, url: str, last_hop: bool
    ) -> Answer | str:
        """The answer, or where to follow its redirect."""
        method = operation.method
        if operation.binary and 200 <= response.status < 300:  # the caller reads it, and lets it go
            document = BinaryResponse(response, operation.name, self.max_response_size)
            return Answer(method, url, document.status, document.headers, document)
        try:
            target = self._redirect_target(operation, response, last_hop)
            if target is not None:
                return target
            return Answer(method, url, response.status, response.headers, await self._read(response, url))
        finally:
            response.release()

    def _redirect_target(
        self, operation: Operation[Any], response: aiohttp.ClientResponse, last_hop: bool
    ) -> str | None:
        """Where to follow a redirect, or ``None`` to hand the answer (a redirect or not) to the parser.

        Only a 307 / 308 (or a 301 / 302 / 303 of a GET) of an operation that is safe to repeat is
        followed, to the same origin (credentials never go elsewhere), at most ``MAX_REDIRECTS`` times.
        """
        status = response.status
        if not 300 <= status < 400 or last_hop or not operation.idempotent:
            return None
        if status not in (307, 308) and not (status in (301, 302, 303) and operation.method == "GET"):
            return None
        location = response.headers.get("Location")
        if not location:
            return None
        try:
            target = response.url.join(URL(location))
        except ValueError:
            return None
        return str(target) if origin_of(target) == self.origin else None

    async def _read(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        """The body, refused once it (decompressed) passes ``max_response_size``: never read whole first."""
        limit = self.max_response_size
        declared = response.content_length
        body = bytearray()
        if declared is None or declared <= limit:
            async for chunk in response.content.iter_any():
                body += chunk
                if len(body) > limit:
                    break
            else:
                return bytes(body)
        raise APIResponseValidationError(
            f"the answer is larger than max_response_size ({limit} bytes)",
            method=response.method,
            url=url,
            status=response.status,
            body=bytes(body[:200]),
        )


def _resent_by_aiohttp(operation: Operation[Any]) -> bool:
    """Whether aiohttp would send this request again by itself while it must not be repeated."""
    return not operation.idempotent and operation.method in ("PUT", "DELETE")


class _OneShot(aiohttp.payload.AsyncIterablePayload):
    """A body aiohttp can send only once: it resends a PUT or DELETE whose connection dropped, unless
    its body was already used up (a session of the caller's still does that), and a request that may
    have been carried out is never to be repeated behind the retry policy's back."""

    def __init__(self, content: bytes | None) -> None:
        self.content = content or b""
        """What it sends."""

        async def once() -> AsyncIterator[bytes]:
            yield self.content

        super().__init__(once())


def origin_of(url: URL) -> Origin:
    """The scheme, host and port of ``url``: where credentials may go."""
    return url.scheme, url.host, url.port
