"""The answers of paged lists: a page of items (the docs' Pagination section) and a page by start key."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field

from .models import ClickSendModel, value_given

__all__ = ["KeyedPage", "Page"]

_Item = TypeVar("_Item")


class Page(ClickSendModel, Generic[_Item]):
    """One page of a paged answer (the docs' Pagination section).

    The counts are required, as the spec's ``PageMeta`` says: every answer carries them, and reading one
    an answer left out raises :class:`~aioclicksend.AnswerFieldMissingError` (paging itself goes on
    without them: no ``last_page``, no next page).
    """

    total: int
    per_page: int
    current_page: int
    last_page: int
    next_page_url: str | None = None
    prev_page_url: str | None = None
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None
    data: list[_Item] = Field(default_factory=list)

    @property
    def has_next_page(self) -> bool:
        """Whether a later page exists."""
        current, last = value_given(self, "current_page"), value_given(self, "last_page")
        if current is None or last is None:
            return False
        return current < last and bool(self.data)


class KeyedPage(ClickSendModel, Generic[_Item]):
    """One page of a list paged by start key: its items and the keys from the envelope."""

    data: list[_Item] = Field(default_factory=list)
    page_size: int | None = None
    start_key: Any = None
    next_start_key: Any = None
    """The key of the next page; ``None`` on the last."""
