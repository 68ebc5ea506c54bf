"""``aioclicksend``: the command line. Send a CSV in bulk (resumable), one SMS, prices, history,
contacts; run the sandbox.

Built on click (a maintained, dependency-free CLI toolkit: nested command groups, environment-variable
options, complete ``--help``, a test runner and a progress bar; typer would add a layer over it).
Credentials come from ``--username`` / ``--api-key`` or ``CLICKSEND_USERNAME`` / ``CLICKSEND_API_KEY``
(``--base-url`` / ``CLICKSEND_BASE_URL`` for the sandbox). Every error is one line on stderr and a
non-zero exit: 1 when something did not go as asked (``bulk``: a message ended unknown or not sent),
2 for bad input; 141, quietly, when the reader of the output has gone (``| head``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from .._client import AsyncClickSend
from .._core.exceptions import ClickSendError
from ._bulk import bulk
from ._common import Failed, print_json, reader_gone, run, terminal_text
from ._input import ENCODING, CsvMessages, MalformedRow, parse_mapping

__all__ = ["cli", "main"]


class _Commands(click.Group):
    """The command group; output to a reader that has gone (``| head``) ends the command quietly."""

    def invoke(self, context: click.Context) -> Any:
        try:
            return super().invoke(context)
        except BrokenPipeError:
            reader_gone()


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.option("--username", envvar="CLICKSEND_USERNAME", help="API username (or CLICKSEND_USERNAME).")
@click.option("--api-key", envvar="CLICKSEND_API_KEY", help="API key (or CLICKSEND_API_KEY).")
@click.option(
    "--base-url",
    envvar="CLICKSEND_BASE_URL",
    help="API address, e.g. the sandbox's http://127.0.0.1:8080/v3 (or CLICKSEND_BASE_URL).",
)
def cli(username: str | None, api_key: str | None, base_url: str | None) -> None:
    """ClickSend from the command line: bulk sends from CSV (resumable), SMS, contacts, the sandbox."""
    # The client's retries, slow-downs and resuming are logged at INFO: worth a line on stderr here.
    logger = logging.getLogger("aioclicksend")
    if not any(isinstance(handler, _ClientLog) for handler in logger.handlers):
        logger.addHandler(_ClientLog())
        logger.setLevel(logging.INFO)


class _ClientLog(logging.StreamHandler):  # type: ignore[type-arg]
    """The client's own log lines (not the sandbox's, when it runs in the same process), on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("aioclicksend: %(message)s"))
        self.addFilter(lambda record: record.name == "aioclicksend")

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # the stderr of now (a test runner swaps it)
        super().emit(record)


# ---- sms ----


@cli.group()
def sms() -> None:
    """Send one SMS, price it, read the history."""


def _one_message(
    to: str, body: str, sender: str | None, schedule: int | None, custom: str | None
) -> dict[str, Any]:
    message: dict[str, Any] = {"to": to, "body": body}
    for key, value in (("from", sender), ("schedule", schedule), ("custom_string", custom)):
        if value is not None:
            message[key] = value
    return message


@sms.command("send")
@click.option("--to", required=True, help="Recipient, E.164 (+61411111111).")
@click.option("--body", required=True, help="The text.")
@click.option("--from", "sender", help="Sender ID or number.")
@click.option("--schedule", type=int, help="Unix time to send at.")
@click.option("--custom-string", help="Your reference, kept in history and receipts.")
@click.pass_context
def sms_send(
    context: click.Context,
    to: str,
    body: str,
    sender: str | None,
    schedule: int | None,
    custom_string: str | None,
) -> None:
    """Send one SMS; prints ClickSend's answer as JSON."""
    message = _one_message(to, body, sender, schedule, custom_string)
    result = run(lambda cs: cs.sms.send(messages=[message]), context)
    print_json(result)
    if any(sent.status != "SUCCESS" for sent in result.messages or []):
        raise Failed(f"not sent: {', '.join(str(sent.status) for sent in result.messages or [])}")


@sms.command("price")
@click.option("--to", required=True, help="Recipient, E.164.")
@click.option("--body", required=True, help="The text.")
@click.option("--from", "sender", help="Sender ID or number.")
@click.pass_context
def sms_price(context: click.Context, to: str, body: str, sender: str | None) -> None:
    """Price one SMS without sending it; prints ClickSend's answer as JSON."""
    message = _one_message(to, body, sender, None, None)
    print_json(run(lambda cs: cs.sms.price(messages=[message]), context))


def _moment(value: str | None, option: str) -> int | None:
    """Unix time from a Unix time or an ISO 8601 date or date-time (UTC unless it says)."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: not a Unix time nor an ISO date", param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


@sms.command("history")
@click.option("--since", help="From this moment: Unix time or ISO date (2026-11-01, 2026-11-01T09:00).")
@click.option("--until", help="To this moment (same forms).")
@click.option("--format", "output", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
@click.pass_context
def sms_history(context: click.Context, since: str | None, until: str | None, output: str) -> None:
    """Every SMS sent in a time window, one JSON object a line or a table."""
    query: dict[str, Any] = {}
    if (date_from := _moment(since, "--since")) is not None:
        query["date_from"] = date_from
    if (date_to := _moment(until, "--until")) is not None:
        query["date_to"] = date_to

    async def walk(cs: AsyncClickSend) -> None:
        if output == "table":
            click.echo(f"{'date':<20} {'to':<16} {'status':<12} {'message_id':<38} body")
        async for message in cs.sms.history.list(**query):
            if output == "jsonl":
                print_json(message)
                continue
            date = datetime.fromtimestamp(message.date or 0, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            body = terminal_text(message.body or "")[:40]
            to, status, message_id = (
                terminal_text(value or "") for value in (message.to, message.status, message.message_id)
            )
            click.echo(f"{date:<20} {to:<16} {status:<12} {message_id:<38} {body}")

    run(walk, context)


cli.add_command(bulk)


# ---- contacts ----


@cli.group()
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
    fields = [
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
    needs = [["phone_number", "email", "fax_number"]]
    source = CsvMessages(file, fields, parse_mapping(mapping), needs, encoding=encoding, context=context)

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


# ---- sandbox ----


@cli.command("sandbox", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def sandbox(context: click.Context) -> None:
    """Run the embedded sandbox (a local ClickSend); takes the same options as aioclicksend-sandbox
    (--port, --latency-ms, --rate-limit, ...: see aioclicksend sandbox --help-sandbox)."""
    try:
        from ..sandbox.__main__ import main as sandbox_main
    except ImportError as error:
        raise Failed(f"the sandbox needs its extra: pip install 'aioclicksend[sandbox]' ({error})") from None
    sandbox_main(["--help" if argument == "--help-sandbox" else argument for argument in context.args])


def main() -> None:
    cli(prog_name="aioclicksend")
