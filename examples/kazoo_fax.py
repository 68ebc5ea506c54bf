"""Fax a one-page PDF with the Kazoo faxes API, watch it leave the outgoing queue for the outbox, download
it back and walk the outbox page by page.

Runs against whatever KAZOO_BASE_URL / KAZOO_ACCOUNT_ID / KAZOO_API_KEY point at: `nox -s demo` points
them at the embedded sandbox (`python -m aioclicksend.sandbox` serves Kazoo under /v2 too).
"""

from __future__ import annotations

import asyncio
import time

from aioclicksend import NotFoundError
from aioclicksend.kazoo import AsyncKazoo

RECIPIENTS = ["+15555550101", "+15555550102", "+15555550103"]
SENDER = "+15555550199"
POLL_SECONDS = 0.2


# A minimal valid one-page PDF, written byte for byte: five objects (catalog, page tree, the page, its
# text, a font), then the cross-reference table giving each object's byte offset, and the trailer.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
    b" /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n"
    b"4 0 obj\n<< /Length 54 >>\nstream\nBT /F1 24 Tf 72 720 Td (Hello from aioclicksend) Tj ET\n"
    b"endstream\nendobj\n"
    b"5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n"
    b"xref\n0 6\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"0000000115 00000 n \n0000000241 00000 n \n0000000345 00000 n \n"
    b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n415\n%%EOF\n"
)


async def folder_of(kazoo: AsyncKazoo, fax_id: str) -> tuple[str, str | None]:
    """Where a fax is now, and its status: still a job in the outgoing queue, or in the outbox."""
    try:
        job = await kazoo.faxes.outgoing.get(fax_job_id=fax_id)
        if job.status not in ("completed", "failed"):
            return "outgoing", job.status
    except NotFoundError:
        pass  # no longer queued
    return "outbox", (await kazoo.faxes.outbox.get(fax_id=fax_id)).status


async def main() -> None:
    document = PDF
    async with AsyncKazoo() as kazoo:  # KAZOO_BASE_URL, KAZOO_ACCOUNT_ID and KAZOO_API_KEY
        jobs = await asyncio.gather(
            *(
                kazoo.faxes.send(
                    to_number=number, from_number=SENDER, from_name="aioclicksend", file=document
                )
                for number in RECIPIENTS
            )
        )
        ids = [job.id for job in jobs if job.id]
        assert len(ids) == len(RECIPIENTS)
        print(f"sent a {len(document)}-byte PDF to {len(ids)} numbers: jobs {', '.join(ids)}")

        started = time.monotonic()
        while True:
            where = await asyncio.gather(*(folder_of(kazoo, fax_id) for fax_id in ids))
            shown = ", ".join(f"{folder} ({status})" for folder, status in where)
            print(f"  {time.monotonic() - started:4.1f}s  {shown}")
            if all(folder == "outbox" for folder, _ in where):
                break
            await asyncio.sleep(POLL_SECONDS)

        for fax_id in ids:
            fax = await kazoo.faxes.outbox.get(fax_id=fax_id)
            result = fax.tx_result
            assert result is not None and result.success, f"{fax_id} failed: {result}"
            attachment = await kazoo.faxes.outbox.attachment(fax_id=fax_id)
            returned = await attachment.read()
            assert returned == document, f"{fax_id}: the outbox holds another document"
            print(
                f"{fax_id} to {fax.to_number}: {fax.status}, {result.pages_sent} page(s) sent; "
                f"{attachment.filename} ({attachment.content_type}) is the PDF sent"
            )

        pages = seen = 0
        async for page in kazoo.faxes.outbox.list(page_size=2).pages():
            pages += 1
            seen += len(page.data)
            following = "last page" if page.next_start_key is None else f"next key {page.next_start_key}"
            print(f"  outbox page {pages}: {[fax.to for fax in page.data]} ({following})")
        print(f"walked the outbox: {pages} pages, {seen} faxes")
        assert seen >= len(ids)


if __name__ == "__main__":
    asyncio.run(main())
