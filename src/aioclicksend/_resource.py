"""Base of the generated resource classes: the three calls their methods make."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._base_client import RequestOptions, Timeout
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    from ._base_client import BaseClient
    from ._bulk import BulkJob, BulkOptions
    from ._operation import Operation
    from ._pagination import AsyncPager

__all__ = ["APIResource"]

_T = TypeVar("_T")


class APIResource:
    """A group of operations (``client.sms``, ``client.sms.templates``…) bound to one client.

    ``raw=True`` makes its methods answer with the whole :class:`~aioclicksend.RawResponse` (the
    resource behind ``with_raw_response``).
    """

    def __init__(self, client: BaseClient, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def _options(
        self,
        timeout: Timeout | NotGiven,
        extra_headers: Mapping[str, str] | None,
        max_retries: int | NotGiven,
    ) -> RequestOptions:
        return RequestOptions(
            timeout=timeout, extra_headers=extra_headers, max_retries=max_retries, raw=self._raw
        )

    async def _request(
        self,
        operation: Operation[_T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        allow_truncation: bool = False,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> _T:
        return await self._client.request(
            operation,
            path_params=path,
            query=query,
            body=body,
            allow_truncation=allow_truncation,
            options=self._options(timeout, extra_headers, max_retries),
        )

    def _paginate(
        self,
        operation: Operation[_T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any],
        timeout: Timeout | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> AsyncPager[_T, Any]:
        from ._pagination import AsyncPager

        return AsyncPager(
            self._client,
            operation,
            path_params=path,
            query=query,
            options=self._options(timeout, extra_headers, max_retries),
        )

    def _bulk(
        self,
        operation: Operation[Any],
        messages: Iterable[Any] | AsyncIterable[Any],
        shared: Mapping[str, Any],
        options: BulkOptions,
    ) -> BulkJob[Any]:
        from ._bulk import BulkJob

        return BulkJob(self._client, operation, messages, shared=shared, options=options)
