"""aioclicksend: the asyncio-first, fully typed SDK for the ClickSend REST API v3.

    async with AsyncClickSend() as cs:
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])

Generated models live in :mod:`aioclicksend.models` (imported on first use).
"""

from __future__ import annotations

from ._base_client import Timeout
from ._bulk import BulkJob, BulkOptions, BulkSummary, Outcome, OutcomeKind, reconcile, tqdm_progress
from ._client import AsyncClickSend
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClickSendError,
    InternalServerError,
    MethodNotAllowedError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from ._message_parts import MessageParts, count_parts, sms_parts, voice_parts
from ._pagination import AsyncPager, Page
from ._response import RawResponse
from ._retry import RetryPolicy
from ._types import NOT_GIVEN, NotGiven

__version__ = "0.1.0"

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClickSend",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BulkJob",
    "BulkOptions",
    "BulkSummary",
    "ClickSendError",
    "InternalServerError",
    "MessageParts",
    "MethodNotAllowedError",
    "MissingCredentialsError",
    "NotFoundError",
    "NotGiven",
    "Outcome",
    "OutcomeKind",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RequestValidationError",
    "RetryPolicy",
    "Timeout",
    "count_parts",
    "reconcile",
    "sms_parts",
    "tqdm_progress",
    "voice_parts",
]
