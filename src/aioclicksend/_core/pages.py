"""The answers of paged lists: a page of items (the docs' Pagination section) and a page by start key."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field

from .models import ClickSendModel

__all__ = ["KeyedPage", "Page"]

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


class KeyedPage(ClickSendModel, Generic[_Item]):
    """One page of a list paged by start key: its items and the keys from the envelope."""

    data: list[_Item] = Field(default_factory=list)
    page_size: int | None = None
    start_key: Any = None
    next_start_key: Any = None
    """The key of the next page; ``None`` on the last."""
