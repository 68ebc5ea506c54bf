"""Fill a contact list and walk it page by page with `async for`.

Runs against whatever CLICKSEND_BASE_URL / CLICKSEND_USERNAME / CLICKSEND_API_KEY point at:
`nox -s demo` points them at the embedded sandbox.
"""

from __future__ import annotations

import asyncio
import time

from aioclicksend import AsyncClickSend

CONTACTS = 250


async def main() -> None:
    async with AsyncClickSend() as cs:
        customers = await cs.contact_lists.create(list_name="Demo customers")
        assert customers.list_id is not None
        limit = asyncio.Semaphore(10)

        async def add(number: int) -> None:
            async with limit:
                await cs.contacts.create(
                    list_id=customers.list_id,
                    phone_number=f"+6141{number:07d}",
                    first_name=f"Customer {number}",
                )

        started = time.monotonic()
        await asyncio.gather(*(add(number) for number in range(CONTACTS)))
        print(
            f"created list {customers.list_id} with {CONTACTS} contacts in {time.monotonic() - started:.2f}s"
        )

        first = await cs.contacts.list(list_id=customers.list_id, limit=100)
        print(f"first page: {len(first.data)} of {first.total} contacts; {first.last_page} pages of 100")

        pages = 0
        seen = 0
        async for page in cs.contacts.list(list_id=customers.list_id, limit=100).pages():
            pages += 1
            seen += len(page.data)
            print(f"  page {page.current_page}: contacts {page.from_}-{page.to}")
        names = [
            contact.first_name async for contact in cs.contacts.list(list_id=customers.list_id, limit=100)
        ]
        print(f"walked {pages} pages, {seen} contacts; the last is {names[-1]!r}")
        assert seen == len(names) == CONTACTS


if __name__ == "__main__":
    asyncio.run(main())
