"""The request loop every generated method goes through: auth, serialization, retries, errors, parsing."""

from __future__ import annotations

import asyncio
import base64
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic_core import ValidationError, from_json

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    MissingCredentialsError,
    RequestValidationError,
    status_error_class,
)
from ._response import RawResponse, raw_response_requested
from ._retry import RetryPolicy
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:  # pydantic's model machinery loads with the first model, not with the client
    from pydantic import BaseModel, TypeAdapter

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "BaseClient", "Operation", "RequestOptions", "Timeout"]

DEFAULT_BASE_URL = "https://rest.clicksend.com/v3"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
USER_AGENT = "aioclicksend/0.1.0"

Timeout = float | aiohttp.ClientTimeout | None
"""Seconds for the whole request, an :class:`aiohttp.ClientTimeout`, or ``None`` for no limit."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Operation:
    """What the spec says about one operation, as the request loop needs it."""

    name: str
    """``resource.method`` as the user calls it, e.g. ``sms.send``: used in error messages."""
    method: str
    path: str
    idempotent: bool
    """GET, or marked ``x-idempotent`` in the spec: safe to repeat after a 5xx or a timeout."""
    auth: bool = True
    envelope: bool = True
    """False for the few operations whose answer is the data itself, not wrapped in the envelope."""


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-call settings that override the client's."""

    timeout: Timeout | NotGiven = NOT_GIVEN
    extra_headers: Mapping[str, str] | None = None
    max_retries: int | NotGiven = NOT_GIVEN


def _format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


def validation_problems(error: ValidationError) -> list[str]:
    """Readable ``field: problem`` lines from a pydantic error."""
    return [f"{_format_location(tuple(item['loc']))}: {item['msg']}" for item in error.errors()]


def build_body(operation: Operation, model: type[BaseModel], fields: Mapping[str, Any]) -> BaseModel:
    """Validate the body keyword arguments of a call against the spec's request model."""
    given = {name: value for name, value in fields.items() if not isinstance(value, NotGiven)}
    try:
        return model.model_validate(given)
    except ValidationError as error:
        raise RequestValidationError(operation.name, validation_problems(error)) from None


@functools.lru_cache(maxsize=1024)
def _adapter(cast_to: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(cast_to)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class BaseClient:
    """Holds the connection pool, the credentials and the request loop shared by every resource."""

    def __init__(
        self,
        username: str | None = None,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        session: aiohttp.ClientSession | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries!r}")
        self.username = username if username is not None else os.environ.get("CLICKSEND_USERNAME")
        api_key = api_key if api_key is not None else os.environ.get("CLICKSEND_API_KEY")
        self._authorization: str | None = None
        if self.username and api_key:
            token = base64.b64encode(f"{self.username}:{api_key}".encode()).decode("ascii")
            self._authorization = f"Basic {token}"
        self.base_url = (base_url or os.environ.get("CLICKSEND_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_policy = retry_policy or RetryPolicy()
        self._session = session
        self._owns_session = session is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, base_url={self.base_url!r})"

    async def __aenter__(self: _T) -> _T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool, unless the session was the caller's."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, enable_cleanup_closed=True),
                headers={"User-Agent": USER_AGENT},
            )
        return self._session

    def _timeout(self, timeout: Timeout | NotGiven) -> aiohttp.ClientTimeout:
        chosen = self.timeout if isinstance(timeout, NotGiven) else timeout
        if isinstance(chosen, aiohttp.ClientTimeout):
            return chosen
        return aiohttp.ClientTimeout(total=chosen)

    def _url(self, operation: Operation, path_params: Mapping[str, Any] | None) -> str:
        path = operation.path
        if path_params:
            missing = [name for name, value in path_params.items() if value is None or value == ""]
            if missing:
                raise RequestValidationError(
                    operation.name, [f"{name}: must not be empty" for name in missing]
                )
            path = path.format(**{name: quote(str(value), safe="") for name, value in path_params.items()})
        return self.base_url + path

    async def request(
        self,
        operation: Operation,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: BaseModel | None = None,
        cast_to: Any = Any,
        options: RequestOptions = RequestOptions(),
    ) -> Any:
        """Send one operation (retrying as the policy allows) and return its parsed ``data``."""
        url = self._url(operation, path_params)
        params = [  # a list value goes out as the same key repeated
            (name, _query_value(item))
            for name, value in (query or {}).items()
            if not isinstance(value, NotGiven)
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ]
        headers = {"Accept": "application/json"}
        if operation.auth:
            if self._authorization is None:
                raise MissingCredentialsError(
                    f"{operation.name} needs credentials: pass username= and api_key= to AsyncClickSend "
                    "or set CLICKSEND_USERNAME and CLICKSEND_API_KEY"
                )
            headers["Authorization"] = self._authorization
        content: bytes | None = None
        if body is not None:
            content = body.model_dump_json(by_alias=True, exclude_unset=True).encode()
            headers["Content-Type"] = "application/json"
        if options.extra_headers:
            headers.update(options.extra_headers)
        timeout = self._timeout(options.timeout)
        retries = self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        async for attempt in self.retry_policy.retrying(max_retries=retries, idempotent=operation.idempotent):
            with attempt:
                status, response_headers, raw = await self._send(
                    operation.method, url, params, content, headers, timeout
                )
                return self._parse(operation, url, status, response_headers, raw, cast_to)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _send(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        content: bytes | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, Mapping[str, str], bytes]:
        session = self._get_session()
        try:
            async with session.request(
                method, url, params=params, data=content, headers=headers, timeout=timeout
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise APITimeoutError(
                f"timed out connecting: {error}", method=method, url=url, request_sent=False
            ) from error
        except aiohttp.ClientConnectorError as error:
            raise APIConnectionError(
                f"cannot connect: {error.os_error or error}", method=method, url=url, request_sent=False
            ) from error
        except asyncio.TimeoutError as error:
            raise APITimeoutError(
                "timed out waiting for the answer", method=method, url=url, request_sent=True
            ) from error
        except aiohttp.ClientError as error:
            raise APIConnectionError(
                f"connection lost: {type(error).__name__}: {error}", method=method, url=url, request_sent=True
            ) from error

    def _parse(
        self,
        operation: Operation,
        url: str,
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
        cast_to: Any,
    ) -> Any:
        method = operation.method
        if status < 400 and operation.envelope:
            decoded = _decode_envelope(cast_to, raw)
            if decoded is not None:
                return _answer(decoded["data"], decoded, status, headers, method, url, raw)
        try:
            payload: Any = from_json(raw) if raw.strip() else None
        except ValueError:
            payload = _NOT_JSON
        envelope = payload if isinstance(payload, dict) else {}
        if status >= 400:
            response_msg = envelope.get("response_msg")
            if payload is _NOT_JSON:
                kind = headers.get("Content-Type", "unknown content type")
                snippet = raw[:200].decode("utf-8", "replace").strip()
                response_msg = f"non-JSON answer ({kind}): {snippet}"
            raise status_error_class(status)(
                status=status,
                method=method,
                url=url,
                response_code=envelope.get("response_code"),
                response_msg=response_msg,
                headers=headers,
                body=payload if payload is not _NOT_JSON else raw,
            )
        if payload is _NOT_JSON:
            raise APIResponseValidationError(
                f"HTTP {status} answer is not JSON ({headers.get('Content-Type', 'unknown content type')})",
                method=method,
                url=url,
                status=status,
                body=raw,
            )
        try:
            data = _adapter(cast_to).validate_python(
                envelope.get("data") if envelope and operation.envelope else payload
            )
        except ValidationError as error:
            raise APIResponseValidationError(
                f"{operation.name}: answer does not match the spec: " + "; ".join(validation_problems(error)),
                method=method,
                url=url,
                status=status,
                body=raw,
            ) from None
        return _answer(data, envelope, status, headers, method, url, raw)


_NOT_JSON = object()


@functools.lru_cache(maxsize=1024)
def _envelope_adapter(cast_to: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter
    from typing_extensions import TypedDict

    fields = {"http_code": Any, "response_code": Any, "response_msg": Any, "data": cast_to}
    return TypeAdapter(TypedDict("Envelope", fields, total=False))  # type: ignore[operator]


def _decode_envelope(cast_to: Any, raw: bytes) -> dict[str, Any] | None:
    """The envelope of a success answer, its data validated straight from the JSON bytes (the fast path).

    ``None`` when that does not work out (not JSON, no ``data``, data not as the spec says): the
    general path then parses the answer again and says what is wrong.
    """
    try:
        envelope: dict[str, Any] = _envelope_adapter(cast_to).validate_json(raw)
    except ValidationError:
        return None
    return envelope if "data" in envelope else None


def _answer(
    data: Any,
    envelope: Mapping[str, Any],
    status: int,
    headers: Mapping[str, str],
    method: str,
    url: str,
    raw: bytes,
) -> Any:
    """The data, or the whole :class:`RawResponse` when the call came through ``with_raw_response``."""
    if not raw_response_requested.get():
        return data
    return RawResponse(
        data=data,
        status=status,
        headers=headers,
        method=method,
        url=url,
        http_code=envelope.get("http_code"),
        response_code=envelope.get("response_code"),
        response_msg=envelope.get("response_msg"),
        content=raw,
    )
