"""Journals of bulk jobs: what lets a job that died be run again to its end, nothing sent twice.

``send_bulk(messages, journal="job.db", job_id="march-promo")`` records, before each batch goes out,
which input positions it holds, their ``custom_string`` and a digest of the batch as sent; and once it
is answered, each message's outcome. Running the same job again with the same journal:

- batches are formed again from the input, as before (the same messages form the same batches); a
  batch whose digest differs from the recorded one stops the job with :class:`JournalError` (the input
  is not the one the journal recorded);
- messages with a final outcome (accepted, rejected) are not sent again: their outcome comes from the
  journal;
- batches that were in flight when the process died are first looked up in the channel's history
  (by ``custom_string``): what ClickSend has is accepted, and only what it provably never got is sent.

The default store, :class:`SQLiteJournal`, is a SQLite file in WAL mode with one writer: one
transaction per batch. Another store (PostgreSQL, Redis) implements :class:`JournalStore`.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic_core import to_json

from .._core.exceptions import JournalError

__all__ = ["Attempt", "JobRecord", "JournalStore", "SQLiteJournal", "Settlement"]


@dataclass(frozen=True)
class JobRecord:
    """What a job is, as first recorded: resuming it uses these, whatever the new run was given."""

    job_id: str
    operation: str
    """The send, e.g. ``sms.send``."""
    tag: str
    """Prefix of the ``custom_string`` given to messages without one."""
    batch_size: int
    started_at: float
    """Unix time the job first started."""


@dataclass
class Settlement:
    """The outcome of each message of an attempt, by position in it: ``kinds`` are
    :class:`~aioclicksend.OutcomeKind` values; ``statuses``, ``message_ids`` and ``prices`` as ClickSend
    answered (``None`` where it did not)."""

    kinds: list[str]
    statuses: list[Any]
    message_ids: list[Any]
    prices: list[Any]
    reason: str | None = None
    """Why messages are not sent or unknown, if any are."""

    @classmethod
    def of_kinds(cls, kinds: list[str], reason: str | None = None) -> Settlement:
        """Messages ClickSend said nothing of (not sent, or no answer)."""
        size = len(kinds)
        return cls(kinds, [None] * size, [None] * size, [None] * size, reason)


@dataclass
class Attempt:
    """One try at sending one batch (``number`` in the order batches are formed; ``attempt`` from 0)."""

    number: int
    attempt: int
    positions: list[int]
    customs: list[str | None] | None
    """``None`` when each is the job's ``<tag>:<input position>``."""
    digest: str
    """Of the batch as formed (all its messages, whatever this attempt sends)."""
    sent_at: float
    settlement: Settlement | None = None
    """``None`` while in flight: when the process died, it may or may not have reached ClickSend."""


@runtime_checkable
class JournalStore(Protocol):
    """Where bulk jobs are recorded. Every method is called from the job's event loop, one at a time."""

    async def open_job(self, job: JobRecord) -> JobRecord:
        """The job as recorded, recording ``job`` if it is new."""
        ...

    async def started(self, job_id: str, attempt: Attempt) -> None:
        """Record an attempt before it is sent (durably: the request goes out once this returns)."""
        ...

    async def settled(self, job_id: str, number: int, attempt: int, settlement: Settlement) -> None:
        """Record the outcomes of an attempt."""
        ...

    async def attempts(self, job_id: str, number: int) -> list[Attempt]:
        """The attempts of one batch, oldest first."""
        ...

    async def formed(self, job_id: str) -> int:
        """How many batches were recorded (their numbers are below this)."""
        ...

    async def unresolved(self, job_id: str) -> list[Attempt]:
        """Attempts with messages whose fate is unknown: never settled, or settled with ``unknown``."""
        ...

    async def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, operation TEXT NOT NULL, tag TEXT NOT NULL,
    batch_size INTEGER NOT NULL, started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    job_id TEXT NOT NULL, number INTEGER NOT NULL, attempt INTEGER NOT NULL,
    positions BLOB NOT NULL, customs BLOB NOT NULL, digest TEXT NOT NULL, sent_at REAL NOT NULL,
    PRIMARY KEY (job_id, number, attempt)
);
-- Apart from the attempts, so that settling one writes its outcomes and never rewrites its record.
CREATE TABLE IF NOT EXISTS settlements (
    job_id TEXT NOT NULL, number INTEGER NOT NULL, attempt INTEGER NOT NULL,
    settlement BLOB NOT NULL, unresolved INTEGER NOT NULL,
    PRIMARY KEY (job_id, number, attempt)
);
"""


class SQLiteJournal:
    """A :class:`JournalStore` in a SQLite file (WAL mode; one process writes it at a time).

    Survives the process being killed at any point: a batch is recorded before it is sent, in one
    transaction, and SQLite's WAL keeps the file whole whatever moment the writer dies at. Each write
    is a sub-millisecond append to the WAL (no fsync: ``synchronous=NORMAL``, safe from a killed
    process), made on the event loop's thread: handing it to a thread costs more than it does, since a
    busy loop holds the GIL the thread needs. The WAL is folded into the file (which fsyncs) when the
    journal is closed, in a thread.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._settled: list[tuple[Any, ...]] = []
        """Settlements not written yet: they go with the next batch's record, in its transaction (one
        write a batch). Lost with the process, their batches are looked up in the history instead."""

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            except (sqlite3.Error, OSError) as error:
                raise JournalError(f"journal {self.path}: cannot be used: {error}") from None
            try:
                # One writer: the first write locks the file until the journal is closed; a second
                # process (or job) on the same file fails to open it, after a second, before sending.
                db.execute("PRAGMA locking_mode = EXCLUSIVE")
                db.execute("PRAGMA busy_timeout = 1000")
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints (and their fsync) at close
                db.executescript(_SCHEMA)
            except (sqlite3.Error, OSError) as error:
                db.close()
                raise JournalError(f"journal {self.path}: cannot be used: {error}") from None
            self._db = db
        return self._db

    async def lock(self) -> None:
        """Take the file's lock now (held until :meth:`close`): a second process on the same journal fails
        here, with :class:`JournalError`, before it does anything else."""
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path}: cannot be used: {error}") from None

    async def _write(self, statement: str | None = None, values: Sequence[Any] = ()) -> None:
        """Write the settlements waiting, and ``statement`` if any, in one transaction."""
        db = self._connection()
        try:
            with db:  # (a transaction: BEGIN ... COMMIT, or ROLLBACK if it fails)
                db.execute("BEGIN")
                db.executemany(_SETTLE, self._settled)
                if statement is not None:
                    db.execute(statement, values)
            self._settled.clear()
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path}: cannot be written: {error}") from None

    async def _read(self, statement: str, values: Sequence[Any]) -> list[Any]:
        if self._settled:
            await self._write()
        db = self._connection()
        try:
            return db.execute(statement, values).fetchall()
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path}: cannot be read: {error}") from None

    async def open_job(self, job: JobRecord) -> JobRecord:
        await self._write(
            "INSERT OR IGNORE INTO jobs VALUES (?, ?, ?, ?, ?)",
            (job.job_id, job.operation, job.tag, job.batch_size, job.started_at),
        )
        [row] = await self._read(
            "SELECT job_id, operation, tag, batch_size, started_at FROM jobs WHERE job_id = ?", (job.job_id,)
        )
        return job_record(row, f"journal {self.path}")

    async def started(self, job_id: str, attempt: Attempt) -> None:
        await self._write(
            "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?)", attempt_row(job_id, attempt)
        )

    async def settled(self, job_id: str, number: int, attempt: int, settlement: Settlement) -> None:
        self._settled.append(settlement_row(job_id, number, attempt, settlement))

    async def attempts(self, job_id: str, number: int) -> list[Attempt]:
        rows = await self._read(
            f"SELECT {_ATTEMPT} WHERE job_id = ? AND number = ? ORDER BY attempt",
            (job_id, number),
        )
        return [read_attempt(row) for row in rows]

    async def formed(self, job_id: str) -> int:
        [(last,)] = await self._read("SELECT max(number) FROM attempts WHERE job_id = ?", (job_id,))
        return 0 if last is None else int(last) + 1

    async def unresolved(self, job_id: str) -> list[Attempt]:
        rows = await self._read(
            f"SELECT {_ATTEMPT} WHERE job_id = ? AND (settlement IS NULL OR unresolved = 1)"
            " ORDER BY number, attempt",
            (job_id,),
        )
        return [read_attempt(row) for row in rows]

    async def close(self) -> None:
        if self._db is not None:
            try:
                if self._settled:
                    await self._write()
            finally:
                db, self._db = self._db, None
                await asyncio.to_thread(_checkpoint_and_close, db)


_ATTEMPT = (
    "number, attempt, positions, customs, digest, sent_at, settlement"
    " FROM attempts LEFT JOIN settlements USING (job_id, number, attempt)"
)
_SETTLE = "INSERT OR REPLACE INTO settlements VALUES (?, ?, ?, ?, ?)"


def job_record(row: Sequence[Any], journal: str) -> JobRecord:
    """A job's record as read from a store (``journal`` names the store), checked."""
    job_id, operation, tag, batch_size, started_at = row
    texts = all(isinstance(value, str) for value in (job_id, operation, tag))
    if not (texts and _is_int(batch_size) and 0 < batch_size <= MAX_BATCH and _is_number(started_at)):
        raise JournalError(
            f"{journal}: job {job_id!r} cannot be read: its record is damaged; "
            "send the input as a new job (another journal or job_id)"
        )
    return JobRecord(*row)


def attempt_row(job_id: str, attempt: Attempt) -> tuple[Any, ...]:
    """An attempt as stores write it: job id, number, attempt, positions, customs, digest, sent at."""
    positions, customs = _pack_positions(attempt.positions), _pack(attempt.customs)
    return (job_id, attempt.number, attempt.attempt, positions, customs, attempt.digest, attempt.sent_at)


def settlement_row(job_id: str, number: int, attempt: int, settlement: Settlement) -> tuple[Any, ...]:
    """A settlement as stores write it: job id, number, attempt, settlement, unresolved (0 or 1)."""
    return (job_id, number, attempt, _pack_settlement(settlement), int("unknown" in settlement.kinds))


def _checkpoint_and_close(db: sqlite3.Connection) -> None:
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _pack(value: Any) -> bytes:
    return to_json(value)


def _unpack(blob: bytes) -> Any:
    return json.loads(blob)


def _pack_settlement(settlement: Settlement) -> bytes:
    """A settlement's lists, each as ``{"same": value, "count": n}`` when its values are all the same
    (the kinds, statuses and prices of an accepted batch), else as it is (the message ids)."""
    return _pack(
        {name: _same(value) if isinstance(value, list) else value for name, value in vars(settlement).items()}
    )


def _unpack_settlement(blob: bytes) -> Settlement:
    fields: dict[str, Any] = {
        name: [value["same"]] * _count(value["count"])
        if isinstance(value, dict) and "same" in value
        else value
        for name, value in _unpack(blob).items()
    }
    return Settlement(**fields)


def _count(count: Any) -> int:
    _check(_is_int(count) and 0 < count <= MAX_BATCH, "settlement counts")
    return int(count)


def _same(values: list[Any]) -> Any:
    if values and values[0] == values[-1] and values.count(values[0]) == len(values):
        return {"same": values[0], "count": len(values)}
    return values


def _pack_positions(positions: list[int]) -> bytes:
    """Input positions; those of a batch are most often consecutive: then just the first and count."""
    if positions and positions[-1] - positions[0] + 1 == len(positions):
        return _pack({"first": positions[0], "count": len(positions)})
    return _pack(positions)


MAX_BATCH = 1000
"""Most messages a recorded batch holds (the most any send takes): a record claiming more is damaged."""


def _unpack_positions(blob: bytes) -> list[int]:
    positions = _unpack(blob)
    if isinstance(positions, dict):
        first, count = positions["first"], positions["count"]
        _check(_is_int(first) and first >= 0 and _is_int(count) and 0 < count <= MAX_BATCH, "positions")
        return list(range(first, first + count))
    _check(isinstance(positions, list) and 0 < len(positions) <= MAX_BATCH, "positions")
    _check(all(_is_int(position) and position >= 0 for position in positions), "positions")
    return list(positions)


def read_attempt(row: Sequence[Any]) -> Attempt:
    """An attempt as read from a store: number, attempt, positions, customs, digest, sent at, settlement
    (checked: a damaged record is a :class:`JournalError`)."""
    number, attempt, positions, customs, digest, sent_at, settlement = row
    try:
        _check(_is_int(number) and _is_int(attempt) and _is_number(sent_at), "record")
        made = Attempt(
            number,
            attempt,
            _unpack_positions(positions),
            _unpack(customs),
            digest,
            sent_at,
            None if settlement is None else _unpack_settlement(settlement),
        )
        size = len(made.positions)
        customs_ok = made.customs is None or (
            isinstance(made.customs, list)
            and len(made.customs) == size
            and all(custom is None or isinstance(custom, str) for custom in made.customs)
        )
        _check(customs_ok, "customs")
        if made.settlement is not None:
            lists = (made.settlement.kinds, made.settlement.statuses, made.settlement.message_ids)
            _check(all(isinstance(values, list) and len(values) == size for values in lists), "settlement")
            _check(isinstance(made.settlement.prices, list) and len(made.settlement.prices) == size, "prices")
            _check(all(kind in _KINDS for kind in made.settlement.kinds), "settlement kinds")
        return made
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise JournalError(
            f"journal: batch {number!r:.20} attempt {attempt!r:.20} cannot be read ({error}): the file is "
            "damaged; send the input as a new job (another journal or job_id)"
        ) from None


_KINDS = frozenset({"accepted", "rejected", "invalid", "not_sent", "unknown"})


def _check(holds: bool, what: str) -> None:
    if not holds:
        raise ValueError(f"its {what} are not as written")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)
