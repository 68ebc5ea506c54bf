"""One exception hierarchy for everything the SDK raises.

    ClickSendError
    ├── RequestValidationError        bad arguments, caught before anything is sent (also a ValueError)
    ├── ClientConfigurationError      bad client settings (also a ValueError)
    ├── ClientStateError              closed client, ended event loop, job run twice (also a RuntimeError)
    ├── MissingCredentialsError       no username / API key for an operation that needs them
    ├── AttemptRefusedError           an attempt hook refused an attempt: nothing was sent (not retried)
    ├── APIConnectionError            the request got no answer
    │   └── APITimeoutError
    ├── APIResponseValidationError    an answer that is not the JSON the API documents (or too large)
    │   └── AnswerFieldMissingError   a field every answer carries was not in this one (raised when read)
    ├── PaginationError               a paged answer that does not advance, or too many pages
    ├── JournalError                  a bulk job's journal that cannot be used (or input it does not match)
    └── APIStatusError                an HTTP error status, one class per status
        ├── RedirectError (3xx), BadRequestError (400), AuthenticationError (401),
        ├── PermissionDeniedError (403), NotFoundError (404), MethodNotAllowedError (405),
        ├── RateLimitError (429)
        └── InternalServerError (5xx)

No exception carries the API key: messages and attributes hold the method, the URL (which never
contains credentials), the status and ClickSend's ``response_code`` / ``response_msg``; the
underlying aiohttp error (whose request info holds the headers) is never kept as the cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerFieldMissingError",
    "AttemptRefusedError",
    "AuthenticationError",
    "BadRequestError",
    "ClickSendError",
    "ClientConfigurationError",
    "ClientStateError",
    "InternalServerError",
    "JournalError",
    "MethodNotAllowedError",
    "MissingCredentialsError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RequestValidationError",
]


class ClickSendError(Exception):
    """Base class of every error raised by aioclicksend.

    Every one pickles (to cross a process pool or a task queue) with its message and attributes; a
    status error's headers arrive as a ``CIMultiDict``.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls the class with ``args`` (the message alone), which our keyword-only
        # constructors refuse: rebuild without calling them.
        state = {
            name: CIMultiDict(value) if isinstance(value, CIMultiDictProxy) else value
            for name, value in self.__dict__.items()
        }
        return (_unpickled, (type(self), self.args, state))


def _unpickled(cls: type[ClickSendError], args: tuple[Any, ...], state: dict[str, Any]) -> ClickSendError:
    """A pickled error as it was: its class, ``args`` and attributes, without calling its constructor."""
    error = cls.__new__(cls, *args)
    error.__dict__.update(state)
    return error


class RequestValidationError(ClickSendError, ValueError):
    """The arguments of a call are invalid; nothing was sent."""

    def __init__(self, operation: str, problems: list[str]) -> None:
        self.operation = operation
        self.problems = problems
        super().__init__(f"{operation}: invalid arguments: " + "; ".join(problems))


class ClientConfigurationError(ClickSendError, ValueError):
    """A setting given to the client is invalid (a timeout, a retry count, an insecure address…)."""


class ClientStateError(ClickSendError, RuntimeError):
    """The client (or a bulk job) cannot do this now: it was closed, its connection pool belongs to an
    event loop that ended, or the job has already run."""


class MissingCredentialsError(ClickSendError):
    """The operation needs credentials and none were given (nor found in the environment)."""


class AttemptRefusedError(ClickSendError):
    """An attempt hook (a throttle, a budget) refused an attempt: it was not sent, and is not retried."""

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"{operation}: attempt refused: {reason}")


class _RequestError(ClickSendError):
    def __init__(self, message: str, *, method: str, url: str) -> None:
        self.method = method
        self.url = url
        super().__init__(f"{message} ({method} {url})")


class APIConnectionError(_RequestError):
    """No answer was received.

    ``request_sent`` tells whether the request may have reached ClickSend: when it is ``False`` the
    connection failed before anything was sent and repeating the request is always safe.
    """

    def __init__(self, message: str, *, method: str, url: str, request_sent: bool) -> None:
        self.request_sent = request_sent
        super().__init__(message, method=method, url=url)


class APITimeoutError(APIConnectionError):
    """No answer arrived within the timeout."""


class APIResponseValidationError(_RequestError):
    """The answer is not the JSON the API documents (e.g. an HTML error page from a proxy)."""

    def __init__(self, message: str, *, method: str, url: str, status: int, body: bytes) -> None:
        self.status = status
        self.body = body
        super().__init__(message, method=method, url=url)


class AnswerFieldMissingError(APIResponseValidationError):
    """A field the spec marks required in an answer (ClickSend always sends it) was left out of this one,
    or was null. The answer still parses; reading that field raises this, naming the model and the field.

    A model does not know the request it answers: ``method`` and ``url`` are empty, ``status`` is 0 and
    ``body`` is empty (the rest of the answer is the model itself: ``model_dump()``, ``model_extra``).
    """

    def __init__(self, model: str, field: str, *, null: bool) -> None:
        self.model = model
        self.field = field
        self.method = self.url = ""
        self.status = 0
        self.body = b""
        found = "null in the answer" if null else "not in the answer"
        ClickSendError.__init__(
            self, f"{model}.{field}: {found}, although the spec says ClickSend always sends it"
        )


class PaginationError(ClickSendError):
    """A paged list that cannot be walked safely: a page that does not advance, or more pages than allowed."""

    def __init__(self, operation: str, problem: str) -> None:
        self.operation = operation
        super().__init__(f"{operation}: {problem}")


def _text(value: Any) -> str | None:
    """A field of an error answer as text: the API sends strings, a hostile answer anything."""
    if value is None or isinstance(value, str):
        return value
    return str(value)[:200]


class JournalError(ClickSendError):
    """A bulk job's journal cannot be used: unreadable, recorded for another send, or the input given to
    resume the job is not the input it recorded."""


class APIStatusError(_RequestError):
    """The API answered with an HTTP error status."""

    status: int

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        response_code: Any,
        response_msg: Any,
        headers: Mapping[str, str],
        body: Any,
    ) -> None:
        self.status = status
        self.response_code = _text(response_code)
        self.response_msg = _text(response_msg)
        self.headers = headers
        self.body = body
        detail = " ".join(part for part in (self.response_code, self.response_msg) if part) or "no details"
        super().__init__(f"HTTP {status}: {detail}", method=method, url=url)


class RedirectError(APIStatusError):
    """A redirect that was not followed: ClickSend does not redirect, and a redirected send could go twice
    or carry the message and the credentials elsewhere. ``location`` is where it pointed."""

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class BadRequestError(APIStatusError):
    status = 400


class AuthenticationError(APIStatusError):
    status = 401


class PermissionDeniedError(APIStatusError):
    status = 403


class NotFoundError(APIStatusError):
    status = 404


class MethodNotAllowedError(APIStatusError):
    status = 405


class RateLimitError(APIStatusError):
    status = 429


class InternalServerError(APIStatusError):
    """Any 5xx status."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        MethodNotAllowedError,
        RateLimitError,
    )
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status."""
    if status >= 500:
        return InternalServerError
    if 300 <= status < 400:
        return RedirectError
    return _BY_STATUS.get(status, APIStatusError)
