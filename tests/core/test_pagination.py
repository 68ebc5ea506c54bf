"""Paged list operations: await for a page, async for every item of every page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aioclicksend import AsyncClickSend, Page, PaginationError, RequestValidationError, models

from ..support import BASE_URL, MockAPI, sent

CONTACTS = re.compile(r"^https://api\.clicksend\.test/v3/lists/9/contacts\?.*$")


def contacts_page(page: int, last_page: int, per_page: int = 2) -> dict[str, Any]:
    first = (page - 1) * per_page + 1
    contacts = [
        {"contact_id": number, "list_id": 9, "phone_number": f"+6141100{number:04d}"}
        for number in range(first, first + per_page)
    ]
    return {
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Here are your data.",
        "data": {
            "total": per_page * last_page,
            "per_page": per_page,
            "current_page": page,
            "last_page": last_page,
            "next_page_url": None if page == last_page else f"/?page={page + 1}",
            "prev_page_url": None if page == 1 else f"/?page={page - 1}",
            "from": first,
            "to": first + per_page - 1,
            "data": contacts,
        },
    }


def requested_pages(mock: MockAPI) -> list[str]:
    return [url.query["page"] for _, url, _ in sent(mock)]


async def test_async_for_walks_every_page(client: AsyncClickSend, mocked: MockAPI) -> None:
    for page in (1, 2, 3):
        mocked.get(CONTACTS, payload=contacts_page(page, last_page=3))
    ids = [contact.contact_id async for contact in client.contacts.list(list_id=9, limit=2)]
    assert ids == [1, 2, 3, 4, 5, 6]
    assert sorted(requested_pages(mocked)) == ["1", "2", "3"]
    assert {url.query["limit"] for _, url, _ in sent(mocked)} == {"2"}


async def test_await_gives_the_first_page(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(CONTACTS, payload=contacts_page(1, last_page=3))
    page = await client.contacts.list(list_id=9)
    assert isinstance(page, Page)
    assert (page.total, page.current_page, page.last_page, page.per_page, page.from_, page.to) == (
        6,
        1,
        3,
        2,
        1,
        2,
    )
    assert all(isinstance(contact, models.Contact) for contact in page.data)
    assert page.has_next_page
    assert len(sent(mocked)) == 1


async def test_starting_page_and_pages(client: AsyncClickSend, mocked: MockAPI) -> None:
    for page in (2, 3):
        mocked.get(CONTACTS, payload=contacts_page(page, last_page=3))
    pages = [page.current_page async for page in client.contacts.list(list_id=9, page=2).pages()]
    assert pages == [2, 3]


async def test_stops_at_last_page_even_if_more_is_mocked(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(CONTACTS, payload=contacts_page(1, last_page=1))
    mocked.get(CONTACTS, payload=contacts_page(2, last_page=1))
    assert len([contact async for contact in client.contacts.list(list_id=9)]) == 2
    assert len(sent(mocked)) == 1


async def test_stops_if_the_server_does_not_advance(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(CONTACTS, payload=contacts_page(1, last_page=5), repeat=True)
    seen = []
    with pytest.raises(PaginationError, match="asked for page 2, the answer is page 1"):
        async for contact in client.contacts.list(list_id=9):
            seen.append(contact)
    assert len(seen) == 2  # the first page's items, then the error instead of the same page again
    assert len(sent(mocked)) == 2


async def test_empty_list(client: AsyncClickSend, mocked: MockAPI) -> None:
    empty = contacts_page(1, last_page=1)
    empty["data"].update(total=0, data=[], to=None, **{"from": None})
    mocked.get(CONTACTS, payload=empty)
    assert [contact async for contact in client.contacts.list(list_id=9)] == []


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [({"limit": 101}, "limit: must be 1 to 100"), ({"page": 0}, "page: must be 1 or more")],
)
async def test_bad_paging_arguments(client: AsyncClickSend, arguments: dict[str, Any], problem: str) -> None:
    with pytest.raises(RequestValidationError, match=problem):
        client.contact_lists.list(**arguments)


async def test_query_filters_are_sent(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(
        re.compile(rf"^{re.escape(BASE_URL)}/sms/history\?.*$"),
        payload=contacts_page(1, 1) | {"data": {"data": []}},
    )
    await client.sms.history.list(date_from=1436849372, date_to=1436879372, limit=100)
    [(_, url, _)] = sent(mocked)
    assert dict(url.query) == {
        "date_from": "1436849372",
        "date_to": "1436879372",
        "limit": "100",
        "page": "1",
    }


ALPHA_TAGS = re.compile(r"^https://api\.clicksend\.test/v3/alpha-tags(\?.*)?$")
CURSOR = "f99872cc-11a6-48ba-a9f2-bcfb6dd1e3d4#8fa5ebc2-777b-45db-a448-ec76a40d4384"


def alpha_tag_page(names: list[str], next_cursor: str | None) -> dict[str, Any]:
    """A page as the docs show it: no envelope, the cursor in _metadata.pagination.next (with its '#')."""
    following = None if next_cursor is None else f"{BASE_URL}/alpha-tags?offset={next_cursor}&page_size=2"
    return {
        "alpha_tags": [{"id": name, "alpha_tag": name, "status": "APPROVED"} for name in names],
        "_metadata": {"pagination": {"self": f"{BASE_URL}/alpha-tags", "next": following, "page_size": 2}},
    }


async def test_cursor_paging_follows_next_offset(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(ALPHA_TAGS, payload=alpha_tag_page(["Acme", "Beta"], CURSOR))
    mocked.get(ALPHA_TAGS, payload=alpha_tag_page(["Gamma"], None))
    names = [tag.alpha_tag async for tag in client.alpha_tags.list(page_size=2, sort_by="alpha_tag")]
    assert names == ["Acme", "Beta", "Gamma"]
    queries = [dict(url.query) for _, url, _ in sent(mocked)]
    assert queries == [
        {"page_size": "2", "sort_by": "alpha_tag"},
        {"page_size": "2", "sort_by": "alpha_tag", "offset": CURSOR},  # the '#' went out as %23
    ]
    assert "offset=f99872cc-11a6-48ba-a9f2-bcfb6dd1e3d4%238fa5" in str(sent(mocked)[1][1])


async def test_cursor_pager_awaited_gives_one_page(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(ALPHA_TAGS, payload=alpha_tag_page(["Acme"], CURSOR))
    page = await client.alpha_tags.list(offset="start")
    assert isinstance(page, models.AlphaTagList) and [tag.alpha_tag for tag in page.alpha_tags or []] == [
        "Acme"
    ]
    assert dict(sent(mocked)[0][1].query) == {"offset": "start"}


async def test_cursor_paging_stops_on_a_repeated_cursor(client: AsyncClickSend, mocked: MockAPI) -> None:
    for _ in range(3):
        mocked.get(ALPHA_TAGS, payload=alpha_tag_page(["Same"], CURSOR))
    names = []
    with pytest.raises(PaginationError, match="came back"):
        async for tag in client.alpha_tags.list():
            names.append(tag.alpha_tag)
    assert names == ["Same", "Same"] and len(sent(mocked)) == 2


async def test_a_walk_without_a_limit_asks_for_the_largest_pages(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    page_one = contacts_page(1, last_page=2, per_page=100)
    page_two = contacts_page(2, last_page=2, per_page=100)
    page_two["data"]["data"] = page_two["data"]["data"][:5]  # 105 items in all
    mocked.get(CONTACTS, payload=page_one)
    mocked.get(CONTACTS, payload=page_two)
    assert len([contact async for contact in client.contacts.list(list_id=9)]) == 105
    assert [dict(url.query) for _, url, _ in sent(mocked)] == [
        {"page": "1", "limit": "100"},
        {"page": "2", "limit": "100"},
    ]


async def test_awaiting_one_page_keeps_the_apis_default_size(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(CONTACTS, payload=contacts_page(1, last_page=1))
    await client.contacts.list(list_id=9)
    assert [dict(url.query) for _, url, _ in sent(mocked)] == [{"page": "1"}]
