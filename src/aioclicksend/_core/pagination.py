"""Paged list operations: await for one page, ``async for`` for every item of every page.

One pager serves every paging style the spec declares (``x-pagination``); a style is a small strategy
that says where a walk starts, what to ask for next and where the items are:

- ``page``: numbered pages (``page`` / ``limit``; the answer's ``current_page`` and ``last_page``);
- ``cursor``: the ``offset`` found in ``_metadata.pagination.next`` (alpha tags, own numbers);
- ``start-key``: ``start_key`` in the query, the envelope's ``next_start_key`` for the next page (Kazoo).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import re
from collections import deque
from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel

from .exceptions import PaginationError, RequestValidationError
from .models import value_given
from .pages import KeyedPage, Page
from .types import NOT_GIVEN, NotGiven
from .validation import check_parameters

if TYPE_CHECKING:
    from .client import BaseClient, RequestOptions
    from .operation import Operation
    from .response import RawResponse

__all__ = ["DEFAULT_MAX_PAGES", "MAX_PAGE_SIZE", "AsyncCursorPager", "AsyncPager", "KeyedPage", "Page"]

MAX_PAGE_SIZE = 100
"""The most items ClickSend returns per page."""
DEFAULT_MAX_PAGES = 10_000
"""Pages a walk reads before it stops with :class:`PaginationError` (a million items at 100 a page):
a server whose last page keeps moving away would otherwise be followed for ever."""

_Item = TypeVar("_Item")
_Page = TypeVar("_Page")


class _Style:
    """A paging style: where a walk starts, what to ask for next, where a page's items are."""

    first: Any
    """The position of the first page (a page number, a cursor…)."""

    def __init__(self, operation: Operation[Any], query: Mapping[str, Any]) -> None:
        self.operation = operation

    def query(self, query: Mapping[str, Any], position: Any, *, walk: bool) -> dict[str, Any]:
        """The query that asks for the page at ``position`` (for a walk through every page, or not)."""
        raise NotImplementedError

    def check(self, page: Any, position: Any) -> None:
        """Raise :class:`PaginationError` if ``page`` is not the page at ``position``."""

    def following(self, page: Any, position: Any) -> Any:
        """The position of the page after ``page``; ``None`` after the last. A walk stops with
        :class:`PaginationError` if it names a page the walk has already read."""
        raise NotImplementedError

    def ahead(self, page: Any, position: Any) -> range:
        """The later positions the first page announces (fetched ahead with ``prefetch``)."""
        return range(0)

    def items(self, page: Any) -> Sequence[Any]:
        raise NotImplementedError

    def page(self, answer: RawResponse[Any]) -> Any:
        """The page an answer holds."""
        return answer.data


class _PageNumbers(_Style):
    """Numbered pages: ``page`` from 1 (or the one asked for) to the answer's ``last_page``."""

    def __init__(self, operation: Operation[Any], query: Mapping[str, Any]) -> None:
        super().__init__(operation, query)
        limit, page = query.get("limit"), query.get("page")
        problems = []
        if isinstance(limit, int) and not 1 <= limit <= MAX_PAGE_SIZE:
            problems.append(f"limit: must be 1 to {MAX_PAGE_SIZE}, not {limit!r}")
        if isinstance(page, int) and page < 1:
            problems.append(f"page: must be 1 or more, not {page!r}")
        if problems:
            raise RequestValidationError(operation.name, problems)
        self.first: Any = page if isinstance(page, int) else 1

    def query(self, query: Mapping[str, Any], position: Any, *, walk: bool) -> dict[str, Any]:
        if walk and query.get("limit") in (None, NOT_GIVEN):  # a walk takes the largest pages: fewer requests
            return {**query, "page": position, "limit": MAX_PAGE_SIZE}
        return {**query, "page": position}

    def check(self, page: Any, position: Any) -> None:
        current = value_given(page, "current_page")
        if current is not None and current != position:
            raise PaginationError(
                self.operation.name,
                f"asked for page {position}, the answer is page {current}: the server does not advance",
            )

    def following(self, page: Any, position: Any) -> Any:
        return position + 1 if page.has_next_page else None

    def ahead(self, page: Any, position: Any) -> range:
        return range(position + 1, page.last_page + 1) if page.has_next_page else range(0)

    def items(self, page: Any) -> Sequence[Any]:
        return page.data  # type: ignore[no-any-return]


_OFFSET = re.compile(r"[?&]offset=([^&]*)")


class _Cursor(_Style):
    """Pages chained by the ``offset`` of ``_metadata.pagination.next``."""

    def __init__(self, operation: Operation[Any], query: Mapping[str, Any]) -> None:
        super().__init__(operation, query)
        assert operation.paging is not None
        self.items_field = operation.paging.items
        offset = query.get("offset")
        self.first: Any = None if isinstance(offset, NotGiven) else offset

    def query(self, query: Mapping[str, Any], position: Any, *, walk: bool) -> dict[str, Any]:
        rest = {name: value for name, value in query.items() if name != "offset"}
        return rest if position is None else {**rest, "offset": position}

    def following(self, page: BaseModel, position: Any) -> Any:
        """The next cursor: read from the raw URL, not parsed as one, for the docs' cursors hold a ``#``."""
        metadata = page.model_dump(by_alias=True, include={"metadata"}).get("_metadata") or {}
        link = (metadata.get("pagination") or {}).get("next")
        found = _OFFSET.search(link) if isinstance(link, str) else None
        return unquote(found.group(1)) if found and found.group(1) else None

    def items(self, page: Any) -> Sequence[Any]:
        return getattr(page, self.items_field, None) or []


class _StartKey(_Style):
    """Pages chained by the envelope's ``next_start_key``."""

    def __init__(self, operation: Operation[Any], query: Mapping[str, Any]) -> None:
        super().__init__(operation, query)
        key = query.get("start_key")
        self.first: Any = None if isinstance(key, NotGiven) else key

    def query(self, query: Mapping[str, Any], position: Any, *, walk: bool) -> dict[str, Any]:
        rest = {name: value for name, value in query.items() if name != "start_key"}
        return rest if position is None else {**rest, "start_key": position}

    def following(self, page: Any, position: Any) -> Any:
        return page.next_start_key

    def items(self, page: Any) -> Sequence[Any]:
        return page.data  # type: ignore[no-any-return]

    def page(self, answer: RawResponse[Any]) -> KeyedPage[Any]:
        keys = answer.envelope
        return KeyedPage.model_construct(
            data=list(answer.data or []),
            page_size=keys.get("page_size"),
            start_key=keys.get("start_key"),
            next_start_key=keys.get("next_start_key") or None,
        )


_STYLES: dict[str, type[_Style]] = {"page": _PageNumbers, "cursor": _Cursor, "start-key": _StartKey}


def _page_budget(operation: Operation[Any], max_pages: int | None) -> float:
    """How many pages a walk may read; ``None`` means no limit."""
    if max_pages is None:
        return math.inf
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise RequestValidationError(
            operation.name, [f"max_pages: must be 1 or more, or None, not {max_pages!r}"]
        )
    return max_pages


class AsyncPager(Generic[_Page, _Item]):
    """The result of a paged list operation.

    ``await pager`` fetches the page asked for (for numbered pages a :class:`Page`: items, total,
    current and last page); ``async for item in pager`` yields every item of that page and all later
    ones; ``pager.pages()`` yields the pages themselves. A walk stops with
    :class:`~aioclicksend.PaginationError` when the server does not advance (another page than the one
    asked for, a cursor seen before) or after ``max_pages`` pages.
    """

    def __init__(
        self,
        client: BaseClient,
        operation: Operation[_Page],
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any],
        options: RequestOptions,
    ) -> None:
        check_parameters(operation, path_params, query)
        assert operation.paging is not None, f"{operation.name} is not paged"
        self._client = client
        self._operation = operation
        self._path_params = path_params
        self._query = dict(query)
        self._options = options
        self._style = _STYLES[operation.paging.style](operation, query)

    async def _request(self, position: Any, options: RequestOptions, *, walk: bool) -> Any:
        """The page at ``position`` (the whole answer when ``options.raw``: with_raw_response)."""
        operation: Operation[Any] = self._operation
        answer: RawResponse[Any] = await self._client.request(
            operation,
            path_params=self._path_params,
            query=self._style.query(self._query, position, walk=walk),
            options=dataclasses.replace(options, raw=True),
        )
        return answer if options.raw else self._style.page(answer)

    async def fetch_page(self, position: Any) -> _Page:
        """Fetch the page at ``position`` of a walk: a page number, or a cursor (``None``: the first page).

        Without a ``limit`` of yours, a walk asks for the largest pages the API allows (100 items).
        """
        page: _Page = await self._request(position, dataclasses.replace(self._options, raw=False), walk=True)
        return page

    def __await__(self) -> Generator[Any, None, _Page]:
        return self._request(self._style.first, self._options, walk=False).__await__()

    async def pages(
        self, *, prefetch: int = 0, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> AsyncIterator[_Page]:
        """Every page from the one asked for to the last, in order.

        With ``prefetch=n``, up to ``n`` later pages are fetched concurrently while you work through the
        current one, where the first page tells how many there are (numbered pages; a cursor is known only
        once the page before it is read, so cursor pages come one at a time).
        """
        if not isinstance(prefetch, int) or isinstance(prefetch, bool) or prefetch < 0:
            raise RequestValidationError(
                self._operation.name, [f"prefetch: must be 0 or more, not {prefetch!r}"]
            )
        budget = _page_budget(self._operation, max_pages)
        position = self._style.first
        page = await self._walk(position)
        yield page
        seen = {position}
        if prefetch:
            ahead = self._style.ahead(page, position)[: max(0, int(min(budget, 2**31)) - 1)]
            async for fetched in self._prefetched(ahead, prefetch):
                position, page = fetched
                seen.add(position)
                yield page
        while (position := self._style.following(page, position)) is not None:
            if position in seen:
                raise PaginationError(
                    self._operation.name,
                    f"the next page, {position!r:.80}, came back: the server does not advance",
                )
            if len(seen) >= budget:
                raise PaginationError(
                    self._operation.name,
                    f"stopped after {max_pages} pages (max_pages); pass a larger max_pages, or None",
                )
            page = await self._walk(position)
            yield page
            seen.add(position)

    async def _walk(self, position: Any) -> _Page:
        page = await self.fetch_page(position)
        self._style.check(page, position)
        return page

    async def _prefetched(self, positions: range, window: int) -> AsyncIterator[tuple[Any, _Page]]:
        """The pages at ``positions`` in order, keeping up to ``window`` requests ahead."""
        pending: deque[tuple[int, asyncio.Task[_Page]]] = deque()
        upcoming = iter(positions)
        try:
            while True:
                while len(pending) < window and (position := next(upcoming, None)) is not None:
                    pending.append((position, asyncio.ensure_future(self._walk(position))))
                if not pending:
                    return
                position, task = pending.popleft()
                yield position, await task
        finally:
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)

    def items_of(self, page: _Page) -> Sequence[_Item]:
        """The items of one page of this list."""
        items: Sequence[_Item] = self._style.items(page)
        return items

    async def items(
        self, *, prefetch: int = 0, max_pages: int | None = DEFAULT_MAX_PAGES
    ) -> AsyncIterator[_Item]:
        """Every item of every page; ``prefetch`` and ``max_pages`` as for :meth:`pages`."""
        async for page in self.pages(prefetch=prefetch, max_pages=max_pages):
            for item in self._style.items(page):
                yield item

    def __aiter__(self) -> AsyncIterator[_Item]:
        return self.items()


AsyncCursorPager = AsyncPager
"""The name cursor-paged lists returned before every style had one pager (kept for compatibility)."""
