"""aioclicksend: the asyncio-first, fully typed SDK for the ClickSend REST API v3.

    async with AsyncClickSend() as cs:
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])

Generated models live in :mod:`aioclicksend.models` (imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._base_client import Timeout
    from ._binary import BinaryResponse
    from ._bulk import BulkJob, BulkOptions
    from ._client import AsyncClickSend
    from ._exceptions import (
        APIConnectionError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AttemptRefusedError,
        AuthenticationError,
        BadRequestError,
        ClickSendError,
        ClientConfigurationError,
        ClientStateError,
        InternalServerError,
        JournalError,
        MethodNotAllowedError,
        MissingCredentialsError,
        NotFoundError,
        PaginationError,
        PermissionDeniedError,
        RateLimitError,
        RedirectError,
        RequestValidationError,
    )
    from ._hooks import AttemptHook, AttemptInfo, AttemptRequest, RateLimit
    from ._message_parts import MessageParts, count_parts, sms_parts, voice_parts
    from ._outcomes import BulkSummary, Outcome, OutcomeKind, reconcile
    from ._pagination import AsyncCursorPager, AsyncPager, Page
    from ._progress import tqdm_progress
    from ._response import RawResponse
    from ._retry import RetryPolicy
    from ._types import NOT_GIVEN, NotGiven
    from .webhooks._errors import WebhookError

_EXPORTS = {
    "APIConnectionError": "._exceptions",
    "APIResponseValidationError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AsyncClickSend": "._client",
    "AsyncCursorPager": "._pagination",
    "AsyncPager": "._pagination",
    "AttemptHook": "._hooks",
    "AttemptInfo": "._hooks",
    "AttemptRefusedError": "._exceptions",
    "AttemptRequest": "._hooks",
    "AuthenticationError": "._exceptions",
    "BinaryResponse": "._binary",
    "BadRequestError": "._exceptions",
    "BulkJob": "._bulk",
    "BulkOptions": "._bulk",
    "BulkSummary": "._outcomes",
    "ClickSendError": "._exceptions",
    "ClientConfigurationError": "._exceptions",
    "ClientStateError": "._exceptions",
    "InternalServerError": "._exceptions",
    "MessageParts": "._message_parts",
    "MethodNotAllowedError": "._exceptions",
    "MissingCredentialsError": "._exceptions",
    "NOT_GIVEN": "._types",
    "NotFoundError": "._exceptions",
    "NotGiven": "._types",
    "Outcome": "._outcomes",
    "OutcomeKind": "._outcomes",
    "Page": "._pagination",
    "JournalError": "._exceptions",
    "PaginationError": "._exceptions",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "RateLimit": "._hooks",
    "RawResponse": "._response",
    "RedirectError": "._exceptions",
    "RequestValidationError": "._exceptions",
    "RetryPolicy": "._retry",
    "Timeout": "._base_client",
    "WebhookError": ".webhooks._errors",
    "count_parts": "._message_parts",
    "reconcile": "._outcomes",
    "sms_parts": "._message_parts",
    "tqdm_progress": "._progress",
    "voice_parts": "._message_parts",
}
"""Where each public name lives; a name's module is imported on first use, so ``import aioclicksend``
stays cheap and a script that only counts SMS parts never loads aiohttp or pydantic."""


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__version__ = "0.1.0"

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClickSend",
    "AsyncCursorPager",
    "AsyncPager",
    "AttemptHook",
    "AttemptInfo",
    "AttemptRefusedError",
    "AttemptRequest",
    "AuthenticationError",
    "BadRequestError",
    "BinaryResponse",
    "BulkJob",
    "BulkOptions",
    "BulkSummary",
    "ClickSendError",
    "ClientConfigurationError",
    "ClientStateError",
    "InternalServerError",
    "JournalError",
    "MessageParts",
    "MethodNotAllowedError",
    "MissingCredentialsError",
    "NotFoundError",
    "NotGiven",
    "Outcome",
    "OutcomeKind",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RawResponse",
    "RedirectError",
    "RequestValidationError",
    "RetryPolicy",
    "Timeout",
    "WebhookError",
    "count_parts",
    "reconcile",
    "sms_parts",
    "tqdm_progress",
    "voice_parts",
]
