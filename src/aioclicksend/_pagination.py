"""Paged list operations: await for one page, ``async for`` for every item of every page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import Field

from ._exceptions import RequestValidationError
from ._models import ClickSendModel
from ._types import NotGiven

if TYPE_CHECKING:
    from ._base_client import BaseClient, Operation, RequestOptions

__all__ = ["MAX_PAGE_SIZE", "AsyncPager", "Page"]

MAX_PAGE_SIZE = 100
"""The most items ClickSend returns per page."""

_Item = TypeVar("_Item")


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

    async def pages(self) -> AsyncIterator[Page[_Item]]:
        """Every page from the first requested to the last."""
        page = await self.fetch_page(self._first_page)
        yield page
        while page.has_next_page:
            previous = page.current_page
            assert previous is not None
            page = await self.fetch_page(previous + 1)
            if page.current_page is not None and page.current_page <= previous:
                return  # the server did not advance: stop rather than loop forever
            yield page

    async def __aiter__(self) -> AsyncIterator[_Item]:
        async for page in self.pages():
            for item in page.data:
                yield item
