"""aioclicksend: the asyncio-first, fully typed SDK for the ClickSend REST API v3.

    async with AsyncClickSend() as cs:
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])

Generated models live in :mod:`aioclicksend.models` (imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._core.lazy import lazy_exports
from ._core.version import __version__ as __version__

if TYPE_CHECKING:
    from ._client import AsyncClickSend
    from ._core.binary import BinaryResponse
    from ._core.client import Timeout
    from ._core.exceptions import (
        AnswerFieldMissingError,
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
    from ._core.hooks import AttemptHook, AttemptInfo, AttemptRequest, RateLimit
    from ._core.pagination import AsyncCursorPager, AsyncPager, Page
    from ._core.parts import MessageParts, count_parts, sms_parts, voice_parts
    from ._core.response import RawResponse
    from ._core.retry import RetryPolicy
    from ._core.types import NOT_GIVEN, NotGiven
    from .bulk.job import BulkJob
    from .bulk.options import BulkOptions
    from .bulk.outcomes import BulkSummary, Outcome, OutcomeKind, reconcile
    from .bulk.progress import tqdm_progress
    from .bulk.shards import shard, shard_job_id
    from .webhooks._errors import WebhookError

_EXPORTS = {
    "APIConnectionError": "._core.exceptions",
    "APIResponseValidationError": "._core.exceptions",
    "APIStatusError": "._core.exceptions",
    "APITimeoutError": "._core.exceptions",
    "AnswerFieldMissingError": "._core.exceptions",
    "AsyncClickSend": "._client",
    "AsyncCursorPager": "._core.pagination",
    "AsyncPager": "._core.pagination",
    "AttemptHook": "._core.hooks",
    "AttemptInfo": "._core.hooks",
    "AttemptRefusedError": "._core.exceptions",
    "AttemptRequest": "._core.hooks",
    "AuthenticationError": "._core.exceptions",
    "BinaryResponse": "._core.binary",
    "BadRequestError": "._core.exceptions",
    "BulkJob": ".bulk.job",
    "BulkOptions": ".bulk.options",
    "BulkSummary": ".bulk.outcomes",
    "ClickSendError": "._core.exceptions",
    "ClientConfigurationError": "._core.exceptions",
    "ClientStateError": "._core.exceptions",
    "InternalServerError": "._core.exceptions",
    "MessageParts": "._core.parts",
    "MethodNotAllowedError": "._core.exceptions",
    "MissingCredentialsError": "._core.exceptions",
    "NOT_GIVEN": "._core.types",
    "NotFoundError": "._core.exceptions",
    "NotGiven": "._core.types",
    "Outcome": ".bulk.outcomes",
    "OutcomeKind": ".bulk.outcomes",
    "Page": "._core.pages",
    "JournalError": "._core.exceptions",
    "PaginationError": "._core.exceptions",
    "PermissionDeniedError": "._core.exceptions",
    "RateLimitError": "._core.exceptions",
    "RateLimit": "._core.hooks",
    "RawResponse": "._core.response",
    "RedirectError": "._core.exceptions",
    "RequestValidationError": "._core.exceptions",
    "RetryPolicy": "._core.retry",
    "Timeout": "._core.client",
    "WebhookError": ".webhooks._errors",
    "count_parts": "._core.parts",
    "reconcile": ".bulk.outcomes",
    "shard": ".bulk.shards",
    "shard_job_id": ".bulk.shards",
    "sms_parts": "._core.parts",
    "tqdm_progress": ".bulk.progress",
    "voice_parts": "._core.parts",
}
"""Where each public name lives; a name's module is imported on first use, so ``import aioclicksend``
stays cheap and a script that only counts SMS parts never loads aiohttp or pydantic."""


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerFieldMissingError",
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
    "shard",
    "shard_job_id",
    "sms_parts",
    "tqdm_progress",
    "voice_parts",
]
