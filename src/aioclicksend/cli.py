"""``aioclicksend``: the command line. Send a CSV in bulk (resumable), one SMS, prices, history,
contacts; run the sandbox.

Built on click (a maintained, dependency-free CLI toolkit: nested command groups, environment-variable
options, complete ``--help``, a test runner and a progress bar; typer would add a layer over it).
Credentials come from ``--username`` / ``--api-key`` or ``CLICKSEND_USERNAME`` / ``CLICKSEND_API_KEY``
(``--base-url`` / ``CLICKSEND_BASE_URL`` for the sandbox). Every error is one line on stderr and a
non-zero exit: 1 when something did not go as asked (``bulk``: a message ended unknown or not sent),
2 for bad input.
"""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import click

from ._bulk_checks import BatchChecker
from ._client import AsyncClickSend
from ._exceptions import ClickSendError
from ._operation import Operation
from ._outcomes import Outcome, OutcomeKind, amount_text

__all__ = ["main"]

_T = TypeVar("_T")

RESULT_COLUMNS = ["row", "outcome", "status", "message_id", "price", "custom_string", "reason"]


class Failed(click.ClickException):
    """A one-line error, exit 1 (``click.UsageError`` is used for bad input: exit 2)."""


def _run(work: Callable[[AsyncClickSend], Awaitable[_T]], context: click.Context) -> _T:
    """Run ``work`` with a client made from the global options; our errors become one line."""
    options = context.find_root().params

    async def main() -> _T:
        async with AsyncClickSend(
            options["username"], options["api_key"], base_url=options["base_url"]
        ) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except ClickSendError as error:
        raise Failed(str(error)) from None
    except OSError as error:
        raise Failed(f"{error}") from None
    except KeyboardInterrupt:
        raise Failed("interrupted: run the same command again to finish the job") from None


def _print_json(value: Any) -> None:
    model_dump = getattr(value, "model_dump", None)
    click.echo(json.dumps(model_dump(mode="json", by_alias=True) if model_dump else value, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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
    result = _run(lambda cs: cs.sms.send(messages=[message]), context)
    _print_json(result)
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
    _print_json(_run(lambda cs: cs.sms.price(messages=[message]), context))


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
                _print_json(message)
                continue
            date = datetime.fromtimestamp(message.date or 0, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            body = (message.body or "").replace("\n", " ")[:40]
            to, status, message_id = message.to or "", message.status or "", message.message_id or ""
            click.echo(f"{date:<20} {to:<16} {status:<12} {message_id:<38} {body}")

    _run(walk, context)


# ---- bulk ----


class CsvMessages:
    """The rows of a CSV file as messages, read lazily: each message field from the column of its name
    (or the one ``--map field=column`` names); empty cells are left out, other columns ignored."""

    def __init__(
        self, path: Path, fields: list[str], mapping: Mapping[str, str], needs: list[list[str]]
    ) -> None:
        self.path = path
        self.columns = {field: mapping.get(field, field) for field in fields}
        try:  # read once through before anything is sent: the rows (a quoted cell may span lines)
            with path.open(newline="", encoding="utf-8-sig") as file:
                records = csv.reader(file, strict=True)  # a malformed row is refused, not merged
                header = next(records, None)
                self.rows = sum(1 for record in records if record)  # (blank lines are no rows)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise click.UsageError(f"{path}: cannot be read: {error}") from None
        if not header:
            raise click.UsageError(f"{path}: empty, no header row")
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise click.UsageError(f"--map: {', '.join(unknown)} is not a field of these messages")
        for one_of in needs:
            if not any(self.columns[field] in header for field in one_of):
                wanted = " or ".join(repr(self.columns[field]) for field in one_of)
                raise click.UsageError(f"{path}: no {wanted} column (name it, or --map {one_of[0]}=COLUMN)")
        self.used = {field: column for field, column in self.columns.items() if column in header}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self.path.open(newline="", encoding="utf-8-sig") as file:
            rows = csv.DictReader(file, strict=True)
            try:
                for row in rows:
                    yield {
                        field: row[column]
                        for field, column in self.used.items()
                        if row.get(column) not in (None, "")
                    }
            except (UnicodeDecodeError, csv.Error) as error:  # the file changed since it was read through
                raise click.UsageError(
                    f"{self.path}: line {rows.line_num}: cannot be read: {error}"
                ) from None


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, _, column = pair.partition("=")
        if not field or not column:
            raise click.BadParameter(f"{pair!r}: expected FIELD=COLUMN", param_hint="--map")
        mapping[field] = column
    return mapping


def _bulk_command(channel: str, shared: list[click.Option]) -> click.Command:
    """``bulk <channel>``: the same command for each channel with a bulk send."""

    @click.pass_context
    def command(context: click.Context, /, file: Path, results: Path, **options: Any) -> None:
        shared_values = {option.name: options.pop(option.name) for option in shared if option.name}
        _bulk(context, channel, file, results, shared_values, **options)

    command.__doc__ = (
        f"Send every row of FILE (CSV) as a {channel} message; one row per input row in --results.\n\n"
        "Columns are the message's fields by name (to, body, from, schedule, custom_string, ...); "
        "--map to=phone takes 'to' from the column 'phone'. With --journal (default: RESULTS.journal), "
        "run the same command again after a crash or Ctrl-C: nothing is sent twice. Exit status 1 if a "
        "message ended unknown or not sent."
    )
    params: list[click.Parameter] = [
        click.Argument(["file"], type=click.Path(path_type=Path, dir_okay=False)),
        click.Option(
            ["--results"],
            type=click.Path(path_type=Path, dir_okay=False),
            required=True,
            help="CSV to write: a row per input row.",
        ),
        click.Option(
            ["--journal"],
            type=click.Path(path_type=Path, dir_okay=False),
            help="SQLite journal that makes the job resumable (default: RESULTS.journal).",
        ),
        click.Option(["--job-id"], help="The job's name in the journal (default: the send's)."),
        click.Option(
            ["--concurrency"],
            type=click.IntRange(1, 64),
            default=4,
            show_default=True,
            help="Batches in flight at once.",
        ),
        click.Option(
            ["--max-rate"], type=click.FloatRange(min=0, min_open=True), help="Most requests a second."
        ),
        click.Option(
            ["--batch-size"],
            type=click.IntRange(1, 1000),
            default=1000,
            show_default=True,
            help="Messages a request.",
        ),
        click.Option(
            ["--history-lag"],
            type=click.FloatRange(min=0),
            default=10.0,
            show_default=True,
            help="On resume, seconds to let ClickSend's history catch up before looking batches up.",
        ),
        click.Option(
            ["--map", "mapping"],
            multiple=True,
            metavar="FIELD=COLUMN",
            help="Take a field from another column (repeatable).",
        ),
        click.Option(["--dry-run"], is_flag=True, help="Check every row and price them; send nothing."),
        *shared,
    ]
    return click.Command(channel, callback=command, params=params, help=command.__doc__)


def _bulk(
    context: click.Context,
    channel: str,
    file: Path,
    results: Path,
    shared: dict[str, Any],
    *,
    journal: Path | None,
    job_id: str | None,
    concurrency: int,
    max_rate: float | None,
    batch_size: int,
    history_lag: float,
    mapping: tuple[str, ...],
    dry_run: bool,
) -> None:
    operation = _bulk_send(channel)
    assert operation.messages is not None and operation.bulk is not None
    rules, item = operation.messages, operation.model(operation.bulk.item)
    needs = [list(rules.recipient_fields)] if rules.recipient_fields else []
    if rules.text_field:
        needs.append([rules.text_field])
    fields = [info.alias or name for name, info in item.model_fields.items()]
    source = CsvMessages(file, fields, _mapping(mapping), needs)
    shared = {key.replace("-", "_"): value for key, value in shared.items() if value not in (None, ())}
    if dry_run:
        _dry_run(context, channel, source, results, shared, item, rules)
        return
    journal = journal or results.with_name(results.name + ".journal")

    async def send(cs: AsyncClickSend) -> tuple[Counter[str], str | None]:
        kinds: Counter[str] = Counter()
        job = getattr(cs, channel).send_bulk(
            source,
            **shared,
            concurrency=concurrency,
            max_rate=max_rate,
            batch_size=batch_size,
            journal=journal,
            job_id=job_id,
            history_lag=history_lag,
        )
        loop = asyncio.get_running_loop()
        _on_interrupt(loop, job.stop)
        progress: Any = click.progressbar(
            length=source.rows,
            label=f"{channel} {file.name}",
            file=sys.stderr,
            show_pos=True,
            item_show_func=lambda _: " ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
        )
        # Written beside, and put in place once the run ends: a run that dies, or stops on an input
        # the journal refuses, leaves the results of the run before it whole.
        partial = results.with_name(results.name + ".partial")
        with partial.open("w", newline="", encoding="utf-8") as out, progress as bar:
            writer = csv.writer(out)
            writer.writerow(RESULT_COLUMNS)
            async for outcome in job:
                kinds[outcome.kind.value] += 1
                writer.writerow(_result_row(outcome))
                bar.update(1, outcome)
            rows_left = source.rows - job.summary.handed_out
            for row in range(job.summary.handed_out, source.rows):  # the job stopped before them
                writer.writerow(
                    [row + 1, OutcomeKind.NOT_SENT.value, "", "", "", "", "not taken: the job stopped"]
                )
            kinds[OutcomeKind.NOT_SENT.value] += rows_left
        partial.replace(results)
        click.echo(f"{job.summary}; results in {results}, journal {journal}", err=True)
        return kinds, job.summary.stopped

    kinds, stopped = _run(send, context)
    if kinds[OutcomeKind.UNKNOWN.value] or kinds[OutcomeKind.NOT_SENT.value]:
        raise Failed(
            f"{kinds[OutcomeKind.UNKNOWN.value]} unknown, {kinds[OutcomeKind.NOT_SENT.value]} not sent"
            + (f" (the job stopped: {stopped})" if stopped else "")
            + ": run the same command again to finish the job"
        )


def _bulk_send(channel: str) -> Operation[Any]:
    """The channel's send with a bulk form (from the operation table)."""
    part = importlib.import_module(f"._generated.operations.{channel}", __package__)
    return next(operation for operation in part.OPERATIONS if operation.bulk is not None)


def _on_interrupt(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """Ctrl-C (or SIGTERM) stops taking rows; the batches formed are sent and the results written. A
    second one interrupts at once (the journal knows what was in flight)."""
    import signal

    def first(signum: int) -> None:
        stop()
        loop.remove_signal_handler(signum)  # the next one is a KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, first, signum)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            return


def _result_row(outcome: Outcome[Any]) -> list[Any]:
    price = "" if outcome.kind not in (OutcomeKind.ACCEPTED, OutcomeKind.REJECTED) else outcome.price
    return [
        outcome.index + 1,
        outcome.kind.value,
        outcome.status or "",
        outcome.message_id or "",
        price,
        outcome.custom_string or "",
        outcome.reason or "",
    ]


def _dry_run(
    context: click.Context,
    channel: str,
    source: CsvMessages,
    results: Path,
    shared: dict[str, Any],
    item: Any,
    rules: Any,
) -> None:
    """Check every row as the send would, and price the valid ones a batch at a time."""
    checker = BatchChecker(item, rules, allow_truncation=False, tag="dry-run")

    async def price(cs: AsyncClickSend) -> tuple[int, int, Decimal, int]:
        valid = invalid = parts = 0
        cost = Decimal(0)
        rows = enumerate(source)
        with results.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(RESULT_COLUMNS)
            while chunk := list(islice(rows, 1000)):  # (a price request takes 1000 messages)
                checked, found = checker.check([row for row, _ in chunk], [message for _, message in chunk])
                invalid += len(found)
                writer.writerows(
                    [item.index + 1, OutcomeKind.INVALID.value, "", "", "", "", item.reason] for item in found
                )
                sendable = checked.messages
                if not sendable.given:
                    continue
                valid += len(sendable.given)
                answer = await getattr(cs, channel).price(messages=sendable.given, **shared)
                entries = answer.messages or []
                for row, message, entry in zip(sendable.indices, sendable.given, entries, strict=False):
                    price = getattr(entry, "message_price", "")
                    custom = message.get("custom_string", "")
                    writer.writerow([row + 1, "would send", entry.status or "", "", price, custom, ""])
                parts += sum(getattr(entry, "message_parts", None) or 0 for entry in entries)
                cost += answer.total_price or Decimal(0)
        return valid, invalid, cost, parts

    valid, invalid, cost, parts = _run(price, context)
    in_parts = f" in {parts} parts" if parts else ""
    click.echo(
        f"dry run: {valid} rows would be sent{in_parts} for {amount_text(cost)}, {invalid} invalid; "
        f"details in {results}",
        err=True,
    )
    if invalid:
        raise Failed(f"{invalid} invalid rows (see {results})")


bulk = click.Group(
    "bulk", help="Send a CSV file, a message a row, in batches: resumable, with a results file."
)
bulk.add_command(_bulk_command("sms", []))
bulk.add_command(
    _bulk_command(
        "mms",
        [click.Option(["--media-file"], required=True, help="URL of the media sent with every message.")],
    )
)
bulk.add_command(_bulk_command("voice", []))
bulk.add_command(
    _bulk_command(
        "fax", [click.Option(["--file-url"], required=True, help="URL of the PDF sent to every number.")]
    )
)
cli.add_command(bulk)


# ---- contacts ----


@cli.group()
def contacts() -> None:
    """Contacts of your lists."""


@contacts.command("import")
@click.argument("list_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--map", "mapping", multiple=True, metavar="FIELD=COLUMN", help="Take a field from another column."
)
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True)
@click.pass_context
def contacts_import(
    context: click.Context, list_id: int, file: Path, mapping: tuple[str, ...], concurrency: int
) -> None:
    """Add every row of FILE (CSV: phone_number, email, first_name, ... columns) to list LIST_ID."""
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
    source = CsvMessages(file, fields, _mapping(mapping), [["phone_number", "email", "fax_number"]])

    shown = 20
    """Failed rows said one by one; the others are only counted (every row fails with a wrong list)."""

    async def add(cs: AsyncClickSend) -> tuple[int, int, list[str]]:
        failures: list[str] = []
        added = failed = 0
        room = asyncio.Semaphore(concurrency)
        with click.progressbar(
            length=source.rows, label=f"list {list_id}", file=sys.stderr, show_pos=True
        ) as bar:

            async def one(row: int, contact: dict[str, Any]) -> None:
                nonlocal added, failed
                try:
                    await cs.contacts.create(list_id=list_id, **contact)
                    added += 1
                except ClickSendError as error:
                    failed += 1
                    if len(failures) < shown:
                        failures.append(f"row {row + 1}: {error}")
                finally:
                    room.release()
                    bar.update(1)

            tasks: set[asyncio.Task[None]] = set()
            for row, contact in enumerate(source):
                await room.acquire()  # a row is read once a request may start: no further ahead
                task = asyncio.create_task(one(row, contact))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        return added, failed, failures

    added, failed, failures = _run(add, context)
    click.echo(f"{added} contacts added to list {list_id}", err=True)
    for line in failures:
        click.echo(line, err=True)
    if failed:
        raise Failed(f"{failed} rows not added")


# ---- sandbox ----


@cli.command("sandbox", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def sandbox(context: click.Context) -> None:
    """Run the embedded sandbox (a local ClickSend); takes the same options as aioclicksend-sandbox
    (--port, --latency-ms, --rate-limit, ...: see aioclicksend sandbox --help-sandbox)."""
    try:
        from .sandbox.__main__ import main as sandbox_main
    except ImportError as error:
        raise Failed(f"the sandbox needs its extra: pip install 'aioclicksend[sandbox]' ({error})") from None
    sandbox_main(["--help" if argument == "--help-sandbox" else argument for argument in context.args])


def main() -> None:
    cli(prog_name="aioclicksend")


if __name__ == "__main__":
    main()
