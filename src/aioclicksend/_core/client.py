"""The client and its request loop, which every generated method goes through: a call's request is
checked and built (:mod:`._validation`), signed and sent attempt by attempt as the retry policy allows,
inside the attempt hooks (:mod:`._hooks`, :mod:`._attempt`), and its answer read (:mod:`._answer`)."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, TypeVar, cast
from urllib.parse import quote

import aiohttp
from typing_extensions import Self
from yarl import URL

from .answer import Answer, read_answer
from .attempt import Outgoing, Transport, origin_of
from .auth import Credentials
from .binary import FileInput, multipart_body
from .exceptions import (
    APIConnectionError,
    AuthenticationError,
    ClickSendError,
    ClientConfigurationError,
    ClientStateError,
    MissingCredentialsError,
    RequestValidationError,
)
from .hooks import AttemptHook, AttemptInfo, RateLimit, around_attempt, hook_problems
from .retry import RetryPolicy, should_retry
from .times import unix_time_of
from .types import NOT_GIVEN, NotGiven
from .validation import (
    build_body,
    check_parameters,
    headers_problems,
    merge_extra_body,
    retries_problem,
    timeout_problem,
    unencodable_problem,
)
from .version import __version__

if TYPE_CHECKING:  # pydantic's model machinery loads with the first model, not with the client
    from pydantic import BaseModel

    from .operation import Dialect, Operation

_T = TypeVar("_T")
_R = TypeVar("_R")
logger = logging.getLogger("aioclicksend")

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
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
USER_AGENT = f"aioclicksend/{__version__}"

Timeout = float | aiohttp.ClientTimeout | None
"""Seconds for the whole request, an :class:`aiohttp.ClientTimeout`, or ``None`` for no limit."""


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


def _count_problem(name: str, number: Any) -> str | None:
    if isinstance(number, int) and not isinstance(number, bool) and number >= 1:
        return None
    return f"{name}: must be an int of 1 or more, not {number!r:.80}"


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime) and value.utcoffset() is not None:  # a Unix time (checked before)
        return str(unix_time_of(value))
    return str(value)


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
    hooks: Sequence[AttemptHook]
    """Attempt hooks wrapped around every attempt, in this order (see :mod:`aioclicksend._core.hooks`)."""
    max_rate: float | None
    """Attempts a second at most, for every call and bulk job of the client (a token bucket)."""


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
        hooks: Sequence[AttemptHook] = (),
        max_rate: float | None = None,
    ) -> None:
        checked = (
            timeout_problem(timeout),
            retries_problem(max_retries),
            RateLimit.problem(max_rate),
            _count_problem("max_response_size", max_response_size),
            _count_problem("connection_limit", connection_limit),
        )
        problems = [problem for problem in checked if problem] + hook_problems(hooks)
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            problems.append(f"session: must be an aiohttp.ClientSession, not {type(session).__name__}")
        problems += credentials.problems()
        self.base_url = base_url.rstrip("/") if isinstance(base_url, str) else base_url
        problems += _base_url_problems(self.base_url, allow_insecure_http)
        if problems:
            raise ClientConfigurationError(f"{type(self).__name__}: " + "; ".join(problems))
        self._credentials = credentials
        self._transport = Transport(origin_of(URL(self.base_url)), max_response_size)
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_policy = retry_policy or RetryPolicy()
        self.hooks: tuple[AttemptHook, ...] = (*([RateLimit(max_rate)] if max_rate else []), *hooks)
        """Wrapped around every attempt, outermost first: ``max_rate``'s, then those given."""
        self.connection_limit = connection_limit
        self.trust_env = trust_env
        self._session = session
        self._owns_session = session is None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._credentials!r}, base_url={self.base_url!r})"

    @property
    def max_response_size(self) -> int:
        return self._transport.max_response_size

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
        content = None if body is None else build_body(operation, body, allow_truncation=allow_truncation)
        upload = None if file is None else (file, content_type)
        outgoing = self._outgoing(operation, path_params, query, content, options, upload)
        read = functools.partial(
            read_answer,
            operation=operation,
            dialect=self.dialect,
            cast_to=operation.result_type,
            raw=options.raw,
        )
        data = await self._exchange(outgoing, read, options, ())
        return cast(_T, data)  # read as operation.result_type: what _T stands for

    async def call(
        self,
        operation: Operation[Any],
        *,
        body: bytes,
        options: RequestOptions = RequestOptions(),
        hooks: Sequence[AttemptHook] = (),
    ) -> object:
        """Send a JSON body made already (a bulk batch) and return the answer's data as JSON, not read
        into the spec's models (the caller reads it); ``hooks`` wrap its attempts inside the client's."""
        outgoing = self._outgoing(operation, None, None, body, options, None)
        read = functools.partial(
            read_answer, operation=operation, dialect=self.dialect, cast_to=Any, raw=False
        )
        return await self._exchange(outgoing, read, options, hooks)

    async def send_once(
        self, operation: Operation[Any], url: str, *, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """One attempt of a request of the credentials' own (a token's), unsigned and never retried: through
        the hooks, with the client's timeout, its answer-size cap, and redirects only within its origin."""
        outgoing = Outgoing(operation, url, [], headers, {}, body, self._timeout(NOT_GIVEN))
        return await self._attempt(outgoing, _as_received, (), 1)

    def _outgoing(
        self,
        operation: Operation[Any],
        path_params: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        body: BaseModel | bytes | None,
        options: RequestOptions,
        upload: tuple[FileInput, str | None] | None,
    ) -> Outgoing:
        """The request of a call, its arguments checked: everything but the credentials' headers."""
        check_parameters(operation, path_params, query)
        self._check_options(operation, options)
        params = [  # a list value goes out as the same key repeated
            (name, _query_value(item))
            for name, value in [*(query or {}).items(), *(options.extra_query or {}).items()]
            if value is not None and not isinstance(value, NotGiven)
            for item in (value if isinstance(value, (list, tuple)) else [value])
        ]
        headers = {"Accept": operation.accept}
        encoded = self._encode_body(operation, body, options)
        content: bytes | Callable[[], Any] | None = encoded
        if upload is not None:  # the JSON and the document in one multipart/mixed body (its own type)
            content = multipart_body(operation.name, json.loads(encoded) if encoded else {}, *upload)
        elif encoded is not None:
            headers["Content-Type"] = "application/json"
        url = self._url(operation, path_params)
        extra = options.extra_headers or {}
        return Outgoing(operation, url, params, headers, extra, content, self._timeout(options.timeout))

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

    async def _exchange(
        self,
        outgoing: Outgoing,
        read: Callable[[Answer], object],
        options: RequestOptions,
        hooks: Sequence[AttemptHook],
    ) -> object:
        """The attempts of a request, made once more with renewed credentials after a 401 if they can be
        renewed (a session token): a 401 means nothing was done, so repeating the request is safe."""
        operation = outgoing.operation
        if operation.auth:
            if not self.has_credentials:
                raise self.missing_credentials(operation.name)
            await self._credentials.ready(self.send_once)
        retries = self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        for renewed in (False, True):
            try:
                return await self._attempts(outgoing, read, retries, hooks)
            except AuthenticationError:
                if renewed or not operation.auth or not await self._credentials.refresh(self.send_once):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempts(
        self, outgoing: Outgoing, read: Callable[[Answer], object], retries: int, hooks: Sequence[AttemptHook]
    ) -> object:
        """The attempts of one request, as the retry policy allows: the first on its own, the others
        (if it failed in a way that may be retried) through tenacity, which replays that first failure to
        start from it (so tenacity is imported only by a request that is retried)."""
        operation = outgoing.operation
        try:
            return await self._attempt(outgoing, read, hooks, 1)
        except ClickSendError as error:
            if not retries or not should_retry(error, idempotent=operation.idempotent):
                raise
            first_failure = error
        from .retrying import controller

        retrying = controller(
            self.retry_policy, max_retries=retries, idempotent=operation.idempotent, operation=operation.name
        )
        async for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    raise first_failure
                return await self._attempt(outgoing, read, hooks, number)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(
        self, outgoing: Outgoing, read: Callable[[Answer], _R], hooks: Sequence[AttemptHook], number: int
    ) -> _R:
        """Attempt ``number`` of a request, inside the client's hooks and then ``hooks``: sent, signed with
        the credentials' headers as they are now (``extra_headers`` last), and its answer ``read``."""
        operation = outgoing.operation
        session = self._get_session()
        signature = (self._credentials.headers() or {}) if operation.auth else {}
        hidden = {"authorization", *(name.lower() for name in signature)}
        info = AttemptInfo(operation, outgoing.seen_by_hooks(hidden), number)
        async with around_attempt((*self.hooks, *hooks), info):
            started = time.perf_counter()
            try:
                answer = await self._transport.send(
                    session, outgoing, {**outgoing.headers, **signature, **outgoing.extra_headers}
                )
            except APIConnectionError as error:
                _log_attempt(operation, number, started, type(error).__name__)
                raise
            info.answered(answer.status, answer.headers)
            _log_attempt(operation, number, started, answer.status)
            return read(answer)


def _as_received(answer: Answer) -> Answer:
    return answer


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
