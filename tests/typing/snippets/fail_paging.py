"""A pager is not a page and not a plain iterable; its arguments and items are typed."""

from aioclicksend import AsyncClickSend, models


def data_of(cs: AsyncClickSend) -> list[models.ContactList]:
    return cs.contact_lists.list(limit=100).data  # E: attr-defined reportAttributeAccessIssue


def walk(cs: AsyncClickSend) -> None:
    pager = cs.contacts.list(list_id=123)
    for _ in pager:  # E: attr-defined reportGeneralTypeIssues
        pass
    cs.contacts.list(list_id="123")  # E: arg-type reportArgumentType


def field_of(contact: models.Contact) -> object:
    return contact.no_such_field  # E: attr-defined reportAttributeAccessIssue
