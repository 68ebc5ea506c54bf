"""Paged list operations: await for one page, ``async for`` for every item of every page."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, Field

from ._exceptions import RequestValidationError
from ._models import ClickSendModel
from ._types import NotGiven

if TYPE_CHECKING:
    from ._base_client import BaseClient, Operation, RequestOptions

__all__ = ["MAX_PAGE_SIZE", "AsyncCursorPager", "AsyncPager", "Page"]

MAX_PAGE_SIZE = 100
"""The most items ClickSend returns per page."""

_Item = TypeVar("_Item")
_Page = TypeVar("_Page", bound=BaseModel)


class Page(ClickSendModel, Generic[_Item]):
    """One page of a paged answer (the docs' Pagination section)."""

    total: int | None = None
    per_page: int | None = None
    current_page: int | None = None
    last_page: int | None = None
    next_page_url: str | None = None
    prev_page_url: str | None = None
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None
    data: list[_Item] = Field(default_factory=list)

    @property
    def has_next_page(self) -> bool:
        """Whether a later page exists."""
        if self.current_page is None or self.last_page is None:
            return False
        return self.current_page < self.last_page and bool(self.data)


class AsyncPager(Generic[_Item]):
    """The result of a paged list operation.

    ``await pager`` fetches the first page requested (a :class:`Page`: items, total, current and last
    page); ``async for item in pager`` yields every item of that page and all later ones, one page
    request at a time, stopping at ``last_page``; ``pager.pages()`` yields the pages themselves.
    """

    def __init__(
        self,
        client: BaseClient,
        operation: Operation,
        item_type: type[_Item],
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any],
        options: RequestOptions,
    ) -> None:
        limit = query.get("limit")
        if not isinstance(limit, NotGiven) and limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
            raise RequestValidationError(
                operation.name, [f"limit: must be 1 to {MAX_PAGE_SIZE}, not {limit!r}"]
            )
        page = query.get("page")
        if not isinstance(page, NotGiven) and page is not None and page < 1:
            raise RequestValidationError(operation.name, [f"page: must be 1 or more, not {page!r}"])
        self._client = client
        self._operation = operation
        self._page_type = Page[item_type]  # type: ignore[valid-type]
        self._path_params = path_params
        self._query = dict(query)
        self._options = options
        self._first_page = 1 if isinstance(page, NotGiven) or page is None else page

    async def fetch_page(self, number: int) -> Page[_Item]:
        """Fetch one page by its number."""
        page: Page[_Item] = await self._client.request(
            self._operation,
            path_params=self._path_params,
            query={**self._query, "page": number},
            cast_to=self._page_type,
            options=self._options,
        )
        return page

    def __await__(self) -> Generator[Any, None, Page[_Item]]:
        return self.fetch_page(self._first_page).__await__()

    async def pages(self, *, prefetch: int = 0) -> AsyncIterator[Page[_Item]]:
        """Every page from the first requested to the last, in order.

        With ``prefetch=n``, up to ``n`` later pages are fetched concurrently while you work through
        the current one (the first page tells how many there are); the default fetches one at a time.
        """
        if not isinstance(prefetch, int) or prefetch < 0:
            raise RequestValidationError(
                self._operation.name, [f"prefetch: must be 0 or more, not {prefetch!r}"]
            )
        page = await self.fetch_page(self._first_page)
        yield page
        if prefetch and page.has_next_page and page.current_page is not None and page.last_page is not None:
            async for ahead in self._prefetched(page.current_page + 1, page.last_page, prefetch):
                yield ahead
                page = ahead
        while page.has_next_page:
            previous = page.current_page
            assert previous is not None
            page = await self.fetch_page(previous + 1)
            if page.current_page is not None and page.current_page <= previous:
                return  # the server did not advance: stop rather than loop forever
            yield page

    async def _prefetched(self, first: int, last: int, window: int) -> AsyncIterator[Page[_Item]]:
        """Pages ``first`` to ``last`` in order, keeping up to ``window`` requests ahead."""
        pending: deque[asyncio.Task[Page[_Item]]] = deque()
        following = first
        try:
            while pending or following <= last:
                while following <= last and len(pending) < window:
                    pending.append(asyncio.ensure_future(self.fetch_page(following)))
                    following += 1
                yield await pending.popleft()
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def items(self, *, prefetch: int = 0) -> AsyncIterator[_Item]:
        """Every item of every page; ``prefetch`` as for :meth:`pages`."""
        async for page in self.pages(prefetch=prefetch):
            for item in page.data:
                yield item

    def __aiter__(self) -> AsyncIterator[_Item]:
        return self.items()


_OFFSET = re.compile(r"[?&]offset=([^&]*)")


def _next_offset(page: BaseModel) -> str | None:
    """The cursor of the page after ``page``: the ``offset`` in its ``_metadata.pagination.next`` URL.

    Read from the raw URL, not parsed as one: the docs' cursors hold a ``#``, which a URL parser
    would take for the start of a fragment.
    """
    metadata = page.model_dump(by_alias=True, include={"metadata"}).get("_metadata") or {}
    following = (metadata.get("pagination") or {}).get("next")
    found = _OFFSET.search(following) if isinstance(following, str) else None
    return unquote(found.group(1)) if found and found.group(1) else None


class AsyncCursorPager(Generic[_Page, _Item]):
    """The result of a cursor-paged list operation (alpha tags, own numbers).

    ``await pager`` fetches the page asked for (from ``offset``, or the first); ``async for item in
    pager`` yields every item of it and of every later page, following the ``offset`` each page gives
    in ``_metadata.pagination.next``; ``pager.pages()`` yields the pages themselves.
    """

    def __init__(
        self,
        client: BaseClient,
        operation: Operation,
        page_type: type[_Page],
        items_field: str,
        *,
        query: Mapping[str, Any],
        options: RequestOptions,
    ) -> None:
        self._client = client
        self._operation = operation
        self._page_type = page_type
        self._items_field = items_field
        self._query = {name: value for name, value in query.items() if name != "offset"}
        offset = query.get("offset")
        self._first_offset = None if isinstance(offset, NotGiven) else offset
        self._options = options

    async def fetch_page(self, offset: str | None) -> _Page:
        """Fetch the page that starts at ``offset`` (``None``: the first)."""
        query = self._query if offset is None else {**self._query, "offset": offset}
        page: _Page = await self._client.request(
            self._operation, query=query, cast_to=self._page_type, options=self._options
        )
        return page

    def __await__(self) -> Generator[Any, None, _Page]:
        return self.fetch_page(self._first_offset).__await__()

    async def pages(self) -> AsyncIterator[_Page]:
        """Every page from the one asked for to the last (one without a next cursor)."""
        offset = self._first_offset
        seen = {offset}
        while True:
            page = await self.fetch_page(offset)
            yield page
            offset = _next_offset(page)
            if offset is None or offset in seen:
                return  # the last page, or a cursor seen before: stop rather than loop forever
            seen.add(offset)

    async def __aiter__(self) -> AsyncIterator[_Item]:
        async for page in self.pages():
            for item in getattr(page, self._items_field, None) or []:
                yield item
