"""A paged list is one page when awaited, every item when iterated, every page through .pages()."""

from typing_extensions import assert_type

from aioclicksend import AsyncClickSend, Page, models


async def walk(cs: AsyncClickSend) -> None:
    page = await cs.contact_lists.list(limit=100)
    assert_type(page, Page[models.ContactList])
    print(page.total, page.current_page, page.last_page, len(page.data))
    async for contact in cs.contacts.list(list_id=123):
        assert_type(contact, models.Contact)
    async for each in cs.sms.history.list(date_from=1700000000).pages():
        assert_type(each, Page[models.SentSms])
