"""The request loop every generated method goes through: auth, serialization, retries, errors, parsing."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypedDict, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic_core import ValidationError, from_json
from typing_extensions import Self
from yarl import URL

from .auth import Credentials
from .binary import BinaryResponse, FileInput, multipart_body
from .exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    AuthenticationError,
    ClickSendError,
    ClientConfigurationError,
    ClientStateError,
    MissingCredentialsError,
    RequestValidationError,
    status_error_class,
)
from .retry import RetryPolicy
from .rules import message_problem
from .transport import transport_error
from .types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:  # pydantic's model machinery loads with the first model, not with the client
    from pydantic import BaseModel, TypeAdapter

    from .operation import Dialect, Operation

_T = TypeVar("_T")
logger = logging.getLogger("aioclicksend")

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "AttemptHook",
    "BaseClient",
    "CallOptions",
    "ClientSettings",
    "RequestOptions",
    "Timeout",
    "is_loopback",
]

DEFAULT_BASE_URL = "https://rest.clicksend.com/v3"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
"""The largest answer read (after decompression); a larger one is an error, not a memory blow-up."""
MAX_REDIRECTS = 3
"""Same-origin redirects followed for an operation that is safe to repeat; others are never followed."""
USER_AGENT = "aioclicksend/0.1.0"

Timeout = float | aiohttp.ClientTimeout | None
"""Seconds for the whole request, an :class:`aiohttp.ClientTimeout`, or ``None`` for no limit."""


class AttemptHook(Protocol):
    """Told of each attempt of a request: what a throttler or a request count needs."""

    async def before(self) -> None:
        """Called before an attempt is sent; may wait (for a slot of a rate limit)."""

    def after(self, error: ClickSendError | None) -> None:
        """Called once the attempt is over: ``None`` when it answered as the spec says."""


class CallOptions(TypedDict, total=False):
    """The per-call settings every generated method takes (codegen reads them here, defaults from
    :class:`RequestOptions`, and renders them)."""

    timeout: Timeout | NotGiven
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, Any] | None
    extra_body: Mapping[str, Any] | None
    max_retries: int | NotGiven


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-call settings that override the client's."""

    timeout: Timeout | NotGiven = NOT_GIVEN
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, Any] | None = None
    """Query parameters the spec does not know, sent as given (a list value as the key repeated)."""
    extra_body: Mapping[str, Any] | None = None
    """Body fields the spec does not know, merged into the JSON body; a key may be a path into it,
    e.g. ``"messages[0].contact_id"``."""
    max_retries: int | NotGiven = NOT_GIVEN
    raw: bool = False
    """Return the whole :class:`RawResponse`, not only the data (what ``with_raw_response`` asks for)."""


def format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


def _base_url_problems(base_url: str, allow_insecure_http: bool) -> list[str]:
    try:
        url = URL(base_url)
    except (TypeError, ValueError) as error:
        return [f"base_url: {base_url!r:.80} is not a URL ({error})"]
    if url.scheme not in ("http", "https") or not url.host:
        return [f"base_url: {base_url!r:.80} must be an http(s) URL with a host"]
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        return [
            f"base_url: {base_url!r:.80} would send your credentials unencrypted; use https, "
            "or pass allow_insecure_http=True"
        ]
    return []


_MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a request's value is searched to."""


def unencodable_problem(value: Any, location: tuple[int | str, ...] = ()) -> str | None:
    """Why ``value`` cannot go out as UTF-8 JSON (``field: problem``), or None: a text with a lone
    surrogate (as ``json.loads('"\\ud83d"')`` makes), a key that is not a text, nesting too deep."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError as error:
            where = format_location(location)
            return f"{where}: a text with an unpaired surrogate at {error.start} cannot be sent as UTF-8"
        return None
    if len(location) >= _MAX_DEPTH:
        return f"{format_location(location)}: nested more than {_MAX_DEPTH} levels deep"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{format_location(location)}: a key must be a text, not {type(key).__name__}"
            problem = unencodable_problem(key, location) or unencodable_problem(item, (*location, key))
            if problem is not None:
                return problem
    elif isinstance(value, (list, tuple)):
        for at, item in enumerate(value):
            if (problem := unencodable_problem(item, (*location, at))) is not None:
                return problem
    return None


def validation_problems(error: ValidationError) -> list[str]:
    """Readable ``field: problem`` lines from a pydantic error."""
    return [f"{format_location(tuple(item['loc']))}: {item['msg']}" for item in error.errors()]


def build_body(
    operation: Operation[Any], fields: Mapping[str, Any], *, allow_truncation: bool = False
) -> BaseModel:
    """Validate the body keyword arguments of a call against the spec's request model, and a send's
    messages against the checks bulk sends make too (:mod:`aioclicksend._core.rules`)."""
    assert operation.body is not None, f"{operation.name} takes no body"
    given = {name: value for name, value in fields.items() if not isinstance(value, NotGiven)}
    try:
        body = operation.model(operation.body).model_validate(given)
    except ValidationError as error:
        problems = validation_problems(error)
        if any(item["type"] == "extra_forbidden" for item in error.errors()):
            problems.append("to send a field the spec does not know on purpose, pass it in extra_body={...}")
        raise RequestValidationError(operation.name, problems) from None
    rules = operation.messages
    if rules is not None:
        if not isinstance(allow_truncation, bool):
            problem = f"allow_truncation: must be True or False, not {allow_truncation!r}"
            raise RequestValidationError(operation.name, [problem])
        problems = [
            f"{rules.items}[{index}]: {problem}"
            for index, message in enumerate(getattr(body, rules.items, None) or [])
            if (problem := message_problem(vars(message), rules, allow_truncation=allow_truncation))
            is not None
        ]
        if problems:
            raise RequestValidationError(operation.name, problems)
    return body


@functools.lru_cache(maxsize=1024)
def _adapter(cast_to: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(cast_to)


_KIND_CHECKS: dict[str, Any] = {
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ),
    "string": lambda value: (
        isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    ),
    "boolean": lambda value: isinstance(value, bool),
}


def _parameter_problem(name: str, kind: str, value: Any) -> str | None:
    """Why ``value`` cannot go out as parameter ``name`` of JSON type ``kind`` (``x[]``: an array)."""
    item_kind = kind.removesuffix("[]")
    values = value if kind.endswith("[]") and isinstance(value, (list, tuple)) else [value]
    check = _KIND_CHECKS.get(item_kind)
    if check is None or all(check(item) for item in values):
        return None
    expected = f"a list of {item_kind}s" if kind.endswith("[]") else f"a {item_kind}"
    return f"{name}: must be {expected}, not {type(value).__name__} {value!r:.80}"


def check_parameters(
    operation: Operation[Any], path_params: Mapping[str, Any] | None, query: Mapping[str, Any] | None
) -> None:
    """Refuse path and query values that do not have the spec's types, before anything is sent."""
    kinds = {parameter.name: parameter.kind for parameter in operation.parameters}
    problems = []
    for name, value in (path_params or {}).items():
        text = str(value) if value is not None else ""
        if text in ("", ".", ".."):
            problems.append(f"{name}: must not be {text!r}" if text else f"{name}: must not be empty")
        elif (problem := _parameter_problem(name, kinds.get(name, ""), value)) is not None:
            problems.append(problem)
    for name, value in (query or {}).items():
        if value is None or isinstance(value, NotGiven):
            continue
        if (problem := _parameter_problem(name, kinds.get(name, ""), value)) is not None:
            problems.append(problem)
    if problems:
        raise RequestValidationError(operation.name, problems)


_EXTRA_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d+\])*")
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def merge_extra_body(
    operation: Operation[Any], body: dict[str, Any], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """``body`` with the ``extra_body`` fields set in it. A key is a field name, or a path into the body
    such as ``messages[0].contact_id``: objects on the way are created, list items must exist."""
    for key, value in extra.items():
        if not _EXTRA_PATH.fullmatch(key):
            raise RequestValidationError(
                operation.name, [f"extra_body: {key!r:.80} is not a field name or a path like a.b[0].c"]
            )
        steps: list[str | int] = [name or int(index) for name, index in _PATH_STEP.findall(key)]
        target: Any = body
        for step in steps[:-1]:
            target = _descend(operation, key, target, step)
        _check_step(operation, key, target, steps[-1])
        target[steps[-1]] = value
    return body


def _check_step(operation: Operation[Any], key: str, target: Any, step: str | int) -> None:
    fits = (
        isinstance(target, dict)
        if isinstance(step, str)
        else isinstance(target, list) and 0 <= step < len(target)
    )
    if not fits:
        raise RequestValidationError(
            operation.name, [f"extra_body[{key!r:.80}]: {step!r} does not name a place in the body"]
        )


def _descend(operation: Operation[Any], key: str, target: Any, step: str | int) -> Any:
    _check_step(operation, key, target, step)
    if isinstance(step, str) and step not in target:
        target[step] = {}
    return target[step]


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def timeout_problem(timeout: Any) -> str | None:
    """Why ``timeout`` is not a usable timeout: seconds (> 0), an ``aiohttp.ClientTimeout`` or ``None``."""
    if timeout is None or isinstance(timeout, aiohttp.ClientTimeout):
        return None
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return None if math.isfinite(timeout) else f"timeout: must be finite, not {timeout!r}"
    return f"timeout: must be seconds above 0, an aiohttp.ClientTimeout or None, not {timeout!r:.80}"


def retries_problem(max_retries: Any) -> str | None:
    if isinstance(max_retries, int) and not isinstance(max_retries, bool) and max_retries >= 0:
        return None
    return f"max_retries: must be an int of 0 or more, not {max_retries!r:.80}"


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def headers_problems(headers: Any) -> list[str]:
    """What is wrong with ``extra_headers``: a mapping of header names to text without line breaks."""
    if headers is None:
        return []
    if not isinstance(headers, Mapping):
        return [f"extra_headers: must be a mapping of names to values, not {type(headers).__name__}"]
    problems = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            problems.append(f"extra_headers: {name!r:.80} is not a header name")
        elif not isinstance(value, str):
            problems.append(f"extra_headers[{name!r}]: must be a str, not {type(value).__name__}")
        elif any(character in value for character in "\r\n\0"):
            problems.append(f"extra_headers[{name!r}]: must not hold a line break or NUL")
    return problems


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


def is_loopback(host: str | None) -> bool:
    """Whether a URL's host is this machine: a loopback address (127.0.0.0/8, also as ``::ffff:127.0.0.1``,
    and ``::1``) or the name ``localhost`` itself (any case, a trailing dot allowed). Not ``*.localhost``:
    a resolver may send those to DNS."""
    if host is None:
        return False
    if host.lower().removesuffix(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.host, url.port


class ClientSettings(TypedDict, total=False):
    """The settings every client takes besides its credentials and address."""

    timeout: Timeout
    """Default timeout of each request: seconds, an ``aiohttp.ClientTimeout``, or ``None``."""
    max_retries: int
    """Default retries after the first attempt (see the README's retry rules)."""
    session: aiohttp.ClientSession | None
    """An ``aiohttp.ClientSession`` of yours to send the requests with (never closed by the client)."""
    retry_policy: RetryPolicy | None
    max_response_size: int
    connection_limit: int
    trust_env: bool
    allow_insecure_http: bool


class BaseClient:
    """Holds the connection pool, the credentials and the request loop shared by every resource."""

    dialect: ClassVar[Dialect]
    """How the API wraps what it exchanges: set by each API's generated client, from its spec."""

    def __init__(
        self,
        *,
        credentials: Credentials,
        base_url: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        session: aiohttp.ClientSession | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        connection_limit: int = 100,
        trust_env: bool = False,
        allow_insecure_http: bool = False,
    ) -> None:
        problems = [
            problem for problem in (timeout_problem(timeout), retries_problem(max_retries)) if problem
        ]
        for name, number in (
            ("max_response_size", max_response_size),
            ("connection_limit", connection_limit),
        ):
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                problems.append(f"{name}: must be an int of 1 or more, not {number!r:.80}")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            problems.append(f"session: must be an aiohttp.ClientSession, not {type(session).__name__}")
        problems += credentials.problems()
        self.base_url = base_url.rstrip("/") if isinstance(base_url, str) else base_url
        problems += _base_url_problems(self.base_url, allow_insecure_http)
        if problems:
            raise ClientConfigurationError(f"{type(self).__name__}: " + "; ".join(problems))
        self._credentials = credentials
        self._origin = _origin(URL(self.base_url))
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_policy = retry_policy or RetryPolicy()
        self.max_response_size = max_response_size
        self.connection_limit = connection_limit
        self.trust_env = trust_env
        self._session = session
        self._owns_session = session is None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._credentials!r}, base_url={self.base_url!r})"

    @property
    def has_credentials(self) -> bool:
        """Whether credentials were given (or found in the environment)."""
        return self._credentials.headers() is not None

    def missing_credentials(self, what: str) -> MissingCredentialsError:
        return MissingCredentialsError(f"{what} needs credentials: {self._credentials.missing}")

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientStateError(f"{type(self).__name__} is closed; create a new client")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool, unless the session was the caller's; the client then refuses to send."""
        self._closed = True
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        name = type(self).__name__
        if self._closed:
            raise ClientStateError(f"{name} is closed (its `async with` block ended); create a new client")
        loop = asyncio.get_running_loop()
        if self._owns_session and self._session_loop is not None and self._session_loop is not loop:
            ended = "has ended" if self._session_loop.is_closed() else "is another one"
            raise ClientStateError(
                f"{name}'s connections belong to the event loop it first ran in, which {ended}: "
                "create the client inside the asyncio.run() that uses it"
            )
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_limit, enable_cleanup_closed=True),
                headers={"User-Agent": USER_AGENT},
                trust_env=self.trust_env,
            )
            # aiohttp sends a PUT or DELETE again, once, by itself when the connection drops before the
            # answer (aio-libs/aiohttp#10790), and this private switch is the only way to stop it. The
            # retry policy decides what is repeated; for sessions of the caller's, see _OneShot and
            # multipart_body.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
            self._session_loop = loop
        return self._session

    def _timeout(self, timeout: Timeout | NotGiven) -> aiohttp.ClientTimeout:
        chosen = self.timeout if isinstance(timeout, NotGiven) else timeout
        if isinstance(chosen, aiohttp.ClientTimeout):
            return chosen
        return aiohttp.ClientTimeout(total=chosen)

    def _url(self, operation: Operation[Any], path_params: Mapping[str, Any] | None) -> str:
        path = operation.path
        if path_params:
            path = path.format(**{name: quote(str(value), safe="") for name, value in path_params.items()})
        return self.base_url + path

    def _check_options(self, operation: Operation[Any], options: RequestOptions) -> None:
        problems = headers_problems(options.extra_headers)
        for name in ("extra_query", "extra_body"):
            extra = getattr(options, name)
            if extra is not None and not (
                isinstance(extra, Mapping) and all(isinstance(key, str) for key in extra)
            ):
                problems.append(f"{name}: must be a mapping with text keys, not {type(extra).__name__}")
        if not isinstance(options.timeout, NotGiven):
            problems.append(timeout_problem(options.timeout) or "")
        if not isinstance(options.max_retries, NotGiven):
            problems.append(retries_problem(options.max_retries) or "")
        problems = [problem for problem in problems if problem]
        if problems:
            raise RequestValidationError(operation.name, problems)

    async def request(
        self,
        operation: Operation[_T],
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        allow_truncation: bool = False,
        file: FileInput | None = None,
        content_type: str | None = None,
        options: RequestOptions = RequestOptions(),
    ) -> _T:
        """Send one operation (retrying as the policy allows) and return its answer's data, read as the
        spec says (or the whole :class:`RawResponse` when ``options.raw``). ``file`` goes with the JSON
        in one request, for an operation that takes a document (``x-sdk-multipart``)."""
        content = None
        if body is not None:
            content = build_body(operation, body, allow_truncation=allow_truncation)
        result: _T = await self.call(
            operation,
            path_params=path_params,
            query=query,
            body=content,
            cast_to=operation.result_type,
            options=options,
            upload=None if file is None else (file, content_type),
        )
        return result

    async def call(
        self,
        operation: Operation[Any],
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: BaseModel | bytes | None = None,
        cast_to: Any,
        options: RequestOptions = RequestOptions(),
        attempts: AttemptHook | None = None,
        upload: tuple[FileInput, str | None] | None = None,
    ) -> Any:
        """:meth:`request` with a body already validated (a model, or its JSON), reading the answer's data
        as ``cast_to``; ``attempts`` is told of each attempt (a throttler, a request count)."""
        check_parameters(operation, path_params, query)
        self._check_options(operation, options)
        url = self._url(operation, path_params)
        params = [  # a list value goes out as the same key repeated
            (name, _query_value(item))
            for name, value in [*(query or {}).items(), *(options.extra_query or {}).items()]
            if value is not None and not isinstance(value, NotGiven)
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ]
        headers = {"Accept": operation.accept}
        if operation.auth:
            if not self.has_credentials:
                raise self.missing_credentials(operation.name)
            await self._credentials.ready(self)
        encoded = self._encode_body(operation, body, options)
        content: bytes | Callable[[], Any] | None = encoded
        if upload is not None:  # the JSON and the document in one multipart/mixed body (its own type)
            content = multipart_body(operation.name, json.loads(encoded) if encoded else {}, *upload)
        elif encoded is not None:
            headers["Content-Type"] = "application/json"
        timeout = self._timeout(options.timeout)
        send = functools.partial(self._send, operation, url, params, content, timeout=timeout)
        for renewed in (False, True):
            try:
                return await self._attempts(operation, send, headers, cast_to, options, attempts)
            except AuthenticationError:
                # Credentials that can be renewed (a session token) are, once, and the call made again:
                # a 401 means nothing was done, so repeating it is safe.
                if renewed or not operation.auth or not await self._credentials.refresh(self):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _encode_body(
        self, operation: Operation[Any], body: BaseModel | bytes | None, options: RequestOptions
    ) -> bytes | None:
        """The JSON body: the model's (a None field is not sent: None means "not given", as NOT_GIVEN
        does), wrapped as the API wraps bodies, with ``extra_body`` merged in last."""
        try:
            content = (
                body
                if isinstance(body, bytes) or body is None
                else body.model_dump_json(by_alias=True, exclude_unset=True, exclude_none=True).encode()
            )
            wrapper = self.dialect.request_envelope
            if not options.extra_body and not (wrapper and (content or operation.body_constants)):
                return content
            fields = json.loads(content) if content else {}
            if wrapper:
                fields = {**({wrapper: fields} if content else {}), **(operation.body_constants or {})}
            if options.extra_body:
                fields = merge_extra_body(operation, fields, options.extra_body)
            return json.dumps(fields, ensure_ascii=False, allow_nan=False).encode()
        except (ValueError, TypeError, RecursionError) as error:  # (pydantic's serialization error too)
            given = None if body is None or isinstance(body, bytes) else body.model_dump(by_alias=True)
            problem = unencodable_problem(given) or unencodable_problem(options.extra_body, ("extra_body",))
            said = problem or f"cannot be sent as JSON: {type(error).__name__}: {str(error)[:200]}"
            raise RequestValidationError(operation.name, [said]) from None

    async def _attempts(
        self,
        operation: Operation[Any],
        send: Callable[
            [Mapping[str, str]], Awaitable[tuple[int, Mapping[str, str], bytes | BinaryResponse, str]]
        ],
        headers: Mapping[str, str],
        cast_to: Any,
        options: RequestOptions,
        attempts: AttemptHook | None,
    ) -> Any:
        """The attempts of one request, as the retry policy allows; the credentials' headers are read at
        each attempt (they may have been renewed), ``extra_headers`` last."""
        retries = self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        retrying = self.retry_policy.retrying(
            max_retries=retries, idempotent=operation.idempotent, operation=operation.name
        )
        async for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                if attempts is not None:
                    await attempts.before()
                started = time.perf_counter()
                signed = {**headers, **((self._credentials.headers() or {}) if operation.auth else {})}
                try:
                    status, response_headers, raw, final_url = await send(
                        {**signed, **(options.extra_headers or {})}
                    )
                    _log_attempt(operation, number, started, status)
                    result = self._parse(
                        operation, final_url, status, response_headers, raw, cast_to, options.raw
                    )
                except ClickSendError as error:
                    if isinstance(error, APIConnectionError):
                        _log_attempt(operation, number, started, type(error).__name__)
                    if attempts is not None:
                        attempts.after(error)
                    raise
                if attempts is not None:
                    attempts.after(None)
                return result
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _send(
        self,
        operation: Operation[Any],
        url: str,
        params: list[tuple[str, str]],
        content: bytes | Callable[[], Any] | None,
        headers: Mapping[str, str],
        *,
        timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, Mapping[str, str], bytes | BinaryResponse, str]:
        """One attempt: the answer's status, headers, body and URL, after the redirects that may be followed.

        No aiohttp error is kept as the cause of ours: its request info holds the Authorization header.
        """
        session = self._get_session()
        method = operation.method
        data = content() if callable(content) else content  # a multipart body is made for each attempt
        try:
            for hop in range(MAX_REDIRECTS + 1):
                response = await session.request(
                    method,
                    url,
                    params=params,
                    data=_OneShot(data) if _resent_by_aiohttp(operation) and not callable(content) else data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
                streamed = operation.binary and 200 <= response.status < 300
                try:
                    target = (
                        None if streamed else self._redirect_target(operation, response, hop == MAX_REDIRECTS)
                    )
                    if streamed:  # a document: the caller reads it, and lets the connection go
                        document = BinaryResponse(response, operation.name, self.max_response_size)
                        return document.status, document.headers, document, url
                    if target is None:
                        return response.status, response.headers, await self._read(response, url), url
                finally:
                    if not streamed:
                        response.release()
                url, params = target, []
        except APIResponseValidationError:
            raise
        except Exception as error:
            raise transport_error(error, method=method, url=url) from None
        raise AssertionError("unreachable: the last hop is never followed")  # pragma: no cover

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
        return str(target) if _origin(target) == self._origin else None

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

    def _parse(
        self,
        operation: Operation[Any],
        url: str,
        status: int,
        headers: Mapping[str, str],
        raw: bytes | BinaryResponse,
        cast_to: Any,
        raw_response: bool,
    ) -> Any:
        if isinstance(raw, BinaryResponse):  # a document: the caller streams it
            return raw
        method = operation.method
        answer = functools.partial(_answer, raw_response, status, headers, method, url, raw)
        if status < 300 and operation.envelope and cast_to is not Any:  # Any: plain parsing is faster
            decoded = _decode_envelope(cast_to, raw, self.dialect.envelope_fields)
            if decoded is not None:
                return answer(decoded["data"], decoded)
        try:
            payload: Any = from_json(raw, cache_strings="keys") if raw.strip() else None
        except ValueError:
            payload = _NOT_JSON
        envelope = payload if isinstance(payload, dict) else {}
        if status >= 300:
            response_msg = _dotted(envelope, self.dialect.error_message)
            if 300 <= status < 400:
                location = headers.get("Location") or "nowhere"
                response_msg = (
                    f"redirect to {location[:200]} not followed (ClickSend does not redirect; only "
                    f"same-origin redirects of operations safe to repeat are, at most {MAX_REDIRECTS})"
                )
            elif payload is _NOT_JSON:
                kind = headers.get("Content-Type", "unknown content type")
                snippet = raw[:200].decode("utf-8", "replace").strip()
                response_msg = f"non-JSON answer ({kind}): {snippet}"
            raise status_error_class(status)(
                status=status,
                method=method,
                url=url,
                response_code=_dotted(envelope, self.dialect.error_code),
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
        # Answers are read enveloped or bare, whichever comes (the docs show View All MMS Campaigns bare):
        # an answer with an envelope field besides ``data`` is enveloped; one with only ``data`` is for an
        # operation the spec says is enveloped; anything else is the data itself.
        fields = self.dialect.envelope_fields
        enveloped = bool(envelope) and (
            bool(envelope.keys() & (fields - {"data"})) or (operation.envelope and envelope.keys() <= fields)
        )
        try:
            data = _adapter(cast_to).validate_python(envelope.get("data") if enveloped else payload)
        except ValidationError as error:
            raise APIResponseValidationError(
                f"{operation.name}: answer does not match the spec: " + "; ".join(validation_problems(error)),
                method=method,
                url=url,
                status=status,
                body=raw,
            ) from None
        return answer(data, envelope)


def _log_attempt(operation: Operation[Any], attempt: int, started: float, outcome: int | str) -> None:
    """One line per attempt at DEBUG: never a header, a query value or a body (they may hold secrets)."""
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s %s -> %s in %.1f ms (attempt %d)",
            operation.name,
            operation.method,
            operation.path,
            outcome,
            elapsed,
            attempt,
        )


_NOT_JSON = object()


def _dotted(answer: dict[str, Any], name: str) -> Any:
    """The value at a dotted field name (``data.message``) of an answer, or None where it stops."""
    value: Any = answer
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@functools.lru_cache(maxsize=1024)
def _envelope_adapter(cast_to: Any, envelope_fields: frozenset[str]) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter
    from typing_extensions import TypedDict

    fields = {**dict.fromkeys(sorted(envelope_fields), Any), "data": cast_to}
    return TypeAdapter(TypedDict("Envelope", fields, total=False))  # type: ignore[operator]


def _decode_envelope(cast_to: Any, raw: bytes, envelope_fields: frozenset[str]) -> dict[str, Any] | None:
    """The envelope of a success answer, its data validated straight from the JSON bytes (the fast path).

    ``None`` when that does not work out (not JSON, no ``data``, data not as the spec says): the
    general path then parses the answer again and says what is wrong.
    """
    try:
        envelope: dict[str, Any] = _envelope_adapter(cast_to, envelope_fields).validate_json(raw)
    except ValidationError:
        return None
    return envelope if "data" in envelope else None


def _answer(
    raw_response: bool,
    status: int,
    headers: Mapping[str, str],
    method: str,
    url: str,
    raw: bytes,
    data: Any,
    envelope: Mapping[str, Any],
) -> Any:
    """The data, or the whole :class:`RawResponse` when the call came through ``with_raw_response``."""
    if not raw_response:
        return data
    from .response import RawResponse  # only what with_raw_response asks for needs it

    return RawResponse(
        data=data,
        status=status,
        headers=headers,
        method=method,
        url=url,
        envelope={name: value for name, value in envelope.items() if name != "data"},
        content=raw,
    )
