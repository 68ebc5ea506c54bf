"""``aioclicksend contacts``: contacts of your lists (a CSV imported into one)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from .._client import AsyncClickSend
from .._core.exceptions import ClickSendError
from ._common import Failed, run, terminal_text
from ._input import ENCODING, CsvMessages, MalformedRow, parse_mapping

__all__ = ["contacts"]

CONTACT_FIELDS = [
    "phone_number",
    "email",
    "fax_number",
    "first_name",
    "last_name",
    "organization_name",
    "address_line_1",
    "address_line_2",
    "address_city",
    "address_state",
    "address_postal_code",
    "address_country",
    "custom_1",
    "custom_2",
    "custom_3",
    "custom_4",
]
"""The columns a row may fill (a contact's fields)."""


@click.group()
def contacts() -> None:
    """Contacts of your lists."""


@contacts.command("import")
@click.argument("list_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--map", "mapping", multiple=True, metavar="FIELD=COLUMN", help="Take a field from another column."
)
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--encoding", **ENCODING)
@click.pass_context
def contacts_import(
    context: click.Context,
    list_id: int,
    file: Path,
    mapping: tuple[str, ...],
    concurrency: int,
    encoding: str,
) -> None:
    """Add every row of FILE (CSV: phone_number, email, first_name, ... columns; - for stdin) to list
    LIST_ID."""
    needs = [["phone_number", "email", "fax_number"]]
    source = CsvMessages(
        file, CONTACT_FIELDS, parse_mapping(mapping), needs, encoding=encoding, context=context
    )

    shown = 20
    """Failed rows said one by one; the others are only counted (every row fails with a wrong list)."""

    async def add(cs: AsyncClickSend) -> tuple[int, int, list[str]]:
        failures: list[str] = []
        added = failed = 0
        room = asyncio.Semaphore(concurrency)
        with click.progressbar(
            length=source.rows, label=f"list {list_id}", file=sys.stderr, show_pos=True
        ) as bar:

            def refused(row: int, why: str) -> None:
                nonlocal failed
                failed += 1
                if len(failures) < shown:
                    failures.append(f"row {row + 1}: {why}")

            async def one(row: int, contact: dict[str, Any]) -> None:
                nonlocal added
                try:
                    await cs.contacts.create(list_id=list_id, **contact)
                    added += 1
                except ClickSendError as error:
                    refused(row, str(error))
                finally:
                    room.release()
                    bar.update(1)

            tasks: set[asyncio.Task[None]] = set()
            for row, contact in enumerate(source):
                if isinstance(contact, MalformedRow):
                    refused(row, contact.problem)
                    bar.update(1)
                    continue
                await room.acquire()  # a row is read once a request may start: no further ahead
                task = asyncio.create_task(one(row, contact))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        return added, failed, failures

    added, failed, failures = run(add, context)
    click.echo(f"{added} contacts added to list {list_id}", err=True)
    for line in failures:
        click.echo(terminal_text(line), err=True)
    if failed:
        raise Failed(f"{failed} rows not added")
