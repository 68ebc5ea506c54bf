"""Base of the generated resource classes: the three calls their methods make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import Unpack

from .client import CallOptions, RequestOptions

if TYPE_CHECKING:
    from .binary import FileInput
    from .client import BaseClient
    from .operation import Operation
    from .pagination import AsyncPager

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

    async def _request(
        self,
        operation: Operation[_T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        allow_truncation: bool = False,
        file: FileInput | None = None,
        content_type: str | None = None,
        **options: Unpack[CallOptions],
    ) -> _T:
        return await self._client.request(
            operation,
            path_params=path,
            query=query,
            body=body,
            allow_truncation=allow_truncation,
            file=file,
            content_type=content_type,
            options=RequestOptions(raw=self._raw, **options),
        )

    def _paginate(
        self,
        operation: Operation[_T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any],
        **options: Unpack[CallOptions],
    ) -> AsyncPager[Any, Any]:
        from .pagination import AsyncPager

        return AsyncPager(
            self._client,
            operation,
            path_params=path,
            query=query,
            options=RequestOptions(raw=self._raw, **options),
        )
