"""Paged list operations: await for one page, ``async for`` for every item of every page."""

from __future__ import annotations

import asyncio
import math
import re
from collections import deque
from collections.abc import AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, Field

from ._base_client import check_parameters
from ._exceptions import PaginationError, RequestValidationError
from ._models import ClickSendModel
from ._types import NotGiven

if TYPE_CHECKING:
    from ._base_client import BaseClient, Operation, RequestOptions


def _page_budget(operation: Operation, max_pages: int | None) -> int | float:
    """How many pages a walk may read; ``None`` means no limit."""
    if max_pages is None:
        return math.inf
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise RequestValidationError(
            operation.name, [f"max_pages: must be 1 or more, or None, not {max_pages!r}"]
        )
    return max_pages


def _too_many_pages(operation: Operation, max_pages: int | float) -> PaginationError:
    return PaginationError(
        operation.name, f"stopped after {max_pages} pages (max_pages); pass a larger max_pages, or None"
    )


__all__ = ["DEFAULT_MAX_PAGES", "MAX_PAGE_SIZE", "AsyncCursorPager", "AsyncPager", "Page"]

MAX_PAGE_SIZE = 100
"""The most items ClickSend returns per page."""
DEFAULT_MAX_PAGES = 10_000
"""Pages a walk reads before it stops with :class:`PaginationError` (a million items at 100 a page):
a server whose last page keeps moving away would otherwise be followed for ever."""

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
        check_parameters(operation, path_params, query)
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

    async def _walk_page(self, number: int) -> Page[_Item]:
        """Page ``number`` of a walk; an answer that is another page is a :class:`PaginationError`."""
        page = await self.fetch_page(number)
        if page.current_page is not None and page.current_page != number:
            raise PaginationError(
                self._operation.name,
                f"asked for page {number}, the answer is page {page.current_page}: "
                "the server does not advance",
            )
        return page

    async def pages(
        self, *, prefetch: int = 0, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> AsyncIterator[Page[_Item]]:
        """Every page from the first requested to the last, in order.

        With ``prefetch=n``, up to ``n`` later pages are fetched concurrently while you work through
        the current one (the first page tells how many there are); the default fetches one at a time.
        A walk stops with :class:`~aioclicksend.PaginationError` after ``max_pages`` pages, or when the
        server answers with another page than the one asked for.
        """
        if not isinstance(prefetch, int) or isinstance(prefetch, bool) or prefetch < 0:
            raise RequestValidationError(
                self._operation.name, [f"prefetch: must be 0 or more, not {prefetch!r}"]
            )
        budget = _page_budget(self._operation, max_pages)
        page = await self._walk_page(self._first_page)
        yield page
        read = 1
        if prefetch and page.has_next_page and page.current_page is not None and page.last_page is not None:
            last = min(page.last_page, page.current_page + int(min(budget, 2**31)) - 1)
            async for ahead in self._prefetched(page.current_page + 1, last, prefetch):
                yield ahead
                page = ahead
                read += 1
        while page.has_next_page:
            if read >= budget:
                raise _too_many_pages(self._operation, budget)
            assert page.current_page is not None
            page = await self._walk_page(page.current_page + 1)
            yield page
            read += 1

    async def _prefetched(self, first: int, last: int, window: int) -> AsyncIterator[Page[_Item]]:
        """Pages ``first`` to ``last`` in order, keeping up to ``window`` requests ahead."""
        pending: deque[asyncio.Task[Page[_Item]]] = deque()
        following = first
        try:
            while pending or following <= last:
                while following <= last and len(pending) < window:
                    pending.append(asyncio.ensure_future(self._walk_page(following)))
                    following += 1
                yield await pending.popleft()
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def items(
        self, *, prefetch: int = 0, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> AsyncIterator[_Item]:
        """Every item of every page; ``prefetch`` and ``max_pages`` as for :meth:`pages`."""
        async for page in self.pages(prefetch=prefetch, max_pages=max_pages):
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
        check_parameters(operation, None, query)
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

    async def pages(self, *, max_pages: int | None = DEFAULT_MAX_PAGES) -> AsyncIterator[_Page]:
        """Every page from the one asked for to the last (one without a next cursor).

        A walk stops with :class:`~aioclicksend.PaginationError` after ``max_pages`` pages, or when a
        cursor comes back that was followed before (the server would loop).
        """
        budget = _page_budget(self._operation, max_pages)
        offset = self._first_offset
        seen = {offset}
        read = 0
        while True:
            page = await self.fetch_page(offset)
            yield page
            read += 1
            offset = _next_offset(page)
            if offset is None:
                return
            if offset in seen:
                raise PaginationError(
                    self._operation.name, f"the cursor {offset!r:.80} came back: the server does not advance"
                )
            if read >= budget:
                raise _too_many_pages(self._operation, budget)
            seen.add(offset)

    async def __aiter__(self) -> AsyncIterator[_Item]:
        async for page in self.pages():
            for item in getattr(page, self._items_field, None) or []:
                yield item
