"""``aioclicksend bulk``: a CSV file sent a message a row, resumable, with a results file."""

from __future__ import annotations

import asyncio
import importlib
import signal
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import click

from .._client import AsyncClickSend
from .._core.models import value_given
from .._core.operation import Operation
from .._core.rules import MessageRules
from ..bulk.checks import BatchChecker
from ..bulk.job import BulkJob
from ..bulk.journal import SQLiteJournal
from ..bulk.outcomes import BulkSummary, Outcome, OutcomeKind, amount_text
from ..bulk.postgres import DSN_SCHEMES, PostgresJournal
from ._common import Failed, run
from ._input import ENCODING, STDIN, CsvMessages, MalformedRow, parse_mapping
from ._results import ResultsFile, check_distinct

__all__ = ["bulk"]

_NOT_SENT = OutcomeKind.NOT_SENT.value


# long: a list of option declarations, one per option of the command
def _bulk_command(channel: str, shared: list[click.Option]) -> click.Command:
    """``bulk <channel>``: the same command for each channel with a bulk send."""

    @click.pass_context
    def command(context: click.Context, /, file: Path, results: Path, **options: Any) -> None:
        shared_values = {option.name: options.pop(option.name) for option in shared if option.name}
        _bulk(context, channel, file, results, shared_values, **options)

    command.__doc__ = (
        f"Send every row of FILE (CSV; - for stdin) as a {channel} message; one row per input row in "
        "--results, in input order.\n\n"
        "Columns are the message's fields by name, whatever their case (to, body, from, schedule, "
        "custom_string, ...), separated by commas, semicolons or tabs; --map to=phone takes 'to' from "
        "the column 'phone'. A row with more or fewer fields than the header is invalid, never sent. "
        "With --journal (default: RESULTS.journal; or a postgresql:// DSN, with --job-id), run the same "
        "command again after a crash or Ctrl-C: nothing is sent twice. Results cells that start with "
        "= + - @ (a formula to a spreadsheet) get a leading ' unless --raw-cells. Exit status 1 if a "
        "message ended unknown or not sent."
    )
    params: list[click.Parameter] = [
        click.Argument(["file"], type=click.Path(path_type=Path, dir_okay=False, allow_dash=True)),
        click.Option(
            ["--results"],
            type=click.Path(path_type=Path, dir_okay=False),
            required=True,
            help="CSV to write: a row per input row.",
        ),
        click.Option(
            ["--journal"],
            metavar="PATH|DSN",
            help="SQLite journal that makes the job resumable (default: RESULTS.journal), or a PostgreSQL "
            "database's postgresql:// DSN (with --job-id).",
        ),
        click.Option(
            ["--job-id"], help="The job's name in the journal (default: the send's; needed in PostgreSQL)."
        ),
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
        click.Option(["--encoding"], **ENCODING),
        click.Option(
            ["--raw-cells"], is_flag=True, help="Write results cells as they are, even if like a formula."
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
    journal: str | None,
    job_id: str | None,
    concurrency: int,
    max_rate: float | None,
    batch_size: int,
    history_lag: float,
    mapping: tuple[str, ...],
    encoding: str,
    raw_cells: bool,
    dry_run: bool,
) -> None:
    item, rules, source = _source(context, channel, file, mapping, encoding)
    shared = {key.replace("-", "_"): value for key, value in shared.items() if value not in (None, ())}
    where = _journal_at(journal, results, job_id)
    check_distinct(
        {
            **({} if file == STDIN else {"the input file": file}),
            **({} if dry_run or not isinstance(where, Path) else {"--journal": where}),
            "--results": results,
        }
    )
    output = ResultsFile(results, source.rows, raw_cells=raw_cells)
    if dry_run:
        _dry_run(context, channel, source, output, shared, item, rules)
        return
    options = dict(concurrency=concurrency, max_rate=max_rate, batch_size=batch_size, job_id=job_id)

    async def send(cs: AsyncClickSend) -> tuple[Counter[str], str | None]:
        store = SQLiteJournal(where) if isinstance(where, Path) else PostgresJournal(where)
        try:
            await _lock(store, job_id)
            job = getattr(cs, channel).send_bulk(
                source, **shared, **options, journal=store, history_lag=history_lag
            )
            _on_interrupt(asyncio.get_running_loop(), job.stop)
            kinds = await _write_outcomes(job, output, f"{channel} {Path(source.name).name}", source.rows)
        finally:
            await store.close()
        shown = store.name if isinstance(store, PostgresJournal) else f"journal {where}"  # (no password)
        click.echo(f"{_said(job.summary, kinds)}; results in {results}, {shown}", err=True)
        return kinds, job.summary.stopped

    kinds, stopped = run(send, context)
    if kinds[OutcomeKind.UNKNOWN.value] or kinds[_NOT_SENT]:
        raise Failed(
            f"{kinds[OutcomeKind.UNKNOWN.value]} unknown, {kinds[_NOT_SENT]} not sent"
            + (f" (the job stopped: {stopped})" if stopped else "")
            + ": run the same command again to finish the job"
        )


def _journal_at(journal: str | None, results: Path, job_id: str | None) -> Path | str:
    """The journal's SQLite file (default: beside the results), or a PostgreSQL DSN (told apart as
    ``send_bulk`` tells them), where jobs share a database and so each needs its ``--job-id``."""
    if journal is None:
        return results.with_name(results.name + ".journal")
    if not journal.startswith(DSN_SCHEMES):
        if Path(journal).is_dir():
            raise click.BadParameter(f"File {journal!r} is a directory.", param_hint="'--journal'")
        return Path(journal)
    if job_id is None:
        raise click.UsageError("--journal postgresql://...: give --job-id too (a database holds many jobs)")
    return journal


async def _lock(store: SQLiteJournal | PostgresJournal, job_id: str | None) -> None:
    """Hold the job before any output is opened (SQLite: the whole file): a second run of it ends here."""
    await (store.lock() if isinstance(store, SQLiteJournal) else store.lock(str(job_id)))


def _source(
    context: click.Context, channel: str, file: Path, mapping: tuple[str, ...], encoding: str
) -> tuple[Any, MessageRules, CsvMessages]:
    """The channel's message model and rules, and the CSV's rows as its messages."""
    operation = _bulk_send(channel)
    assert operation.messages is not None and operation.bulk is not None
    rules, item = operation.messages, operation.model(operation.bulk.item)
    needs = [list(rules.recipient_fields)] if rules.recipient_fields else []
    if rules.text_field:
        needs.append([rules.text_field])
    fields = [info.alias or name for name, info in item.model_fields.items()]
    source = CsvMessages(file, fields, parse_mapping(mapping), needs, encoding=encoding, context=context)
    return item, rules, source


async def _write_outcomes(job: BulkJob[Any], output: ResultsFile, label: str, rows: int) -> Counter[str]:
    """A results row per outcome, as they come, with a progress bar; then one for each row the job
    never took. Returns the count of each kind."""
    kinds: Counter[str] = Counter()
    progress: Any = click.progressbar(
        length=rows,
        label=label,
        file=sys.stderr,
        show_pos=True,
        item_show_func=lambda _: " ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
    )
    with output, progress as bar:
        async for outcome in job:
            kinds[outcome.kind.value] += 1
            output.add(outcome.index, _result_cells(outcome))
            bar.update(1, outcome)
        for row in output.unfilled():  # the job stopped before them
            output.add(row, [_NOT_SENT, "", "", "", "", "not taken: the job stopped"])
            kinds[_NOT_SENT] += 1
    return kinds


def _said(summary: BulkSummary, kinds: Counter[str]) -> str:
    """The job's summary; or, when every outcome came from the journal, that it was already complete."""
    taken_before = summary.resumed + kinds[OutcomeKind.INVALID.value]
    if summary.requests == 0 and summary.resumed and taken_before == summary.handed_out == kinds.total():
        counts = ", ".join(f"{kinds[kind.value]} {kind.value}" for kind in OutcomeKind if kinds[kind.value])
        return f"already complete: {counts}; nothing sent"
    return str(summary)


def _bulk_send(channel: str) -> Operation[Any]:
    """The channel's send with a bulk form (from the operation table)."""
    part = importlib.import_module(f".._generated.operations.{channel}", __package__)
    return next(operation for operation in part.OPERATIONS if operation.bulk is not None)


def _on_interrupt(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """Ctrl-C (or SIGTERM) stops taking rows; the batches formed are sent and the results written. A
    second one interrupts at once (the journal knows what was in flight)."""

    def first(signum: int) -> None:
        stop()
        loop.remove_signal_handler(signum)  # the next one is a KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, first, signum)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            return


def _reason(message: Any, reason: str | None) -> str:
    """Why a row is invalid: a malformed row's own problem, else the checks' reason."""
    return message.problem if isinstance(message, MalformedRow) else reason or ""


def _result_cells(outcome: Outcome[Any]) -> list[Any]:
    price = "" if outcome.kind not in (OutcomeKind.ACCEPTED, OutcomeKind.REJECTED) else outcome.price
    return [
        outcome.kind.value,
        outcome.status or "",
        outcome.message_id or "",
        price,
        outcome.custom_string or "",
        _reason(outcome.message, outcome.reason),
    ]


def _dry_run(
    context: click.Context,
    channel: str,
    source: CsvMessages,
    output: ResultsFile,
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
        with output:
            while chunk := list(islice(rows, 1000)):  # (a price request takes 1000 messages)
                checked, found = checker.check([row for row, _ in chunk], [message for _, message in chunk])
                invalid += len(found)
                for refused in found:
                    reason = _reason(refused.message, refused.reason)
                    output.add(refused.index, [OutcomeKind.INVALID.value, "", "", "", "", reason])
                sendable = checked.messages
                if not sendable.given:
                    continue
                valid += len(sendable.given)
                answer = await getattr(cs, channel).price(messages=sendable.given, **shared)
                entries = value_given(answer, "messages") or []  # an answer without them prices nothing
                for row, message, entry in zip(sendable.indices, sendable.given, entries, strict=False):
                    price = getattr(entry, "message_price", "")
                    custom = message.get("custom_string", "")
                    output.add(row, ["would send", value_given(entry, "status") or "", "", price, custom, ""])
                parts += sum(getattr(entry, "message_parts", None) or 0 for entry in entries)
                cost += answer.total_price or Decimal(0)
            for row in output.unfilled():
                output.add(row, ["not priced", "", "", "", "", "ClickSend's answer had no entry for it"])
        return valid, invalid, cost, parts

    valid, invalid, cost, parts = run(price, context)
    in_parts = f" in {parts} parts" if parts else ""
    click.echo(
        f"dry run: {valid} rows would be sent{in_parts} for {amount_text(cost)}, {invalid} invalid; "
        f"details in {output.target}",
        err=True,
    )
    if invalid:
        raise Failed(f"{invalid} invalid rows (see {output.target})")


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
