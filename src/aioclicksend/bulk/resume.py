"""A bulk job's side of its journal (:mod:`aioclicksend.bulk.journal`): what it records, and what it reads
back when it is run again."""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._core.exceptions import JournalError, RequestValidationError
from .journal import Attempt, JobRecord, JournalStore, Settlement, SQLiteJournal
from .outcomes import Messages, Outcome, OutcomeKind, price_of
from .postgres import DSN_SCHEMES, PostgresJournal

__all__ = ["FINAL_KINDS", "JobJournal", "Recorded", "RecordedBatch", "Survey"]

FINAL_KINDS = frozenset({OutcomeKind.ACCEPTED.value, OutcomeKind.REJECTED.value})
"""What a message that is never sent again ended as."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the journal last says of one message."""

    kind: str
    status: Any
    message_id: Any
    price: Any
    reason: str | None

    def outcome(self, index: int, message: Any, custom: str | None) -> Outcome[Any]:
        return Outcome(
            index,
            OutcomeKind(self.kind),
            message,
            custom,
            status=self.status if isinstance(self.status, str) else None,
            price=price_of(self.price),
            reason=self.reason,
            message_id=self.message_id if isinstance(self.message_id, str) else None,
        )


@dataclass(frozen=True, slots=True)
class RecordedBatch:
    """What the journal holds of a batch formed before: its digest, the last word on each of its
    messages, and how many attempts were made."""

    digest: str
    by_position: dict[int, Recorded]
    attempts: int


@dataclass
class Survey:
    """What a job's journal says of its custom strings as a whole."""

    shared: set[str]
    """Custom strings the caller gave to more than one message: the history cannot tell them apart."""
    witness: str | None
    """The custom string of a message ClickSend accepted (the latest batch's): it is in the history."""


_ACCEPTED = OutcomeKind.ACCEPTED.value


class JobJournal:
    """One job's records in a :class:`~aioclicksend.bulk.journal.JournalStore`."""

    def __init__(self, store: JournalStore, job_id: str, *, owned: bool) -> None:
        self.store = store
        self.job_id = job_id
        self._owned = owned
        self._formed = 0
        """Batches the journal recorded when the job was opened: only those are looked up."""

    @classmethod
    def of(cls, journal: Any, job_id: Any, operation: str) -> JobJournal | None:
        """The journal a ``send_bulk`` was given (a path, a PostgreSQL DSN or a store), or ``None``."""
        if journal is None:
            if job_id is not None:
                raise RequestValidationError(f"{operation}_bulk", ["job_id: needs a journal"])
            return None
        if job_id is None:
            job_id = operation
        if not isinstance(job_id, str) or not job_id:
            raise RequestValidationError(
                f"{operation}_bulk", [f"job_id: must be a non-empty str, not {job_id!r}"]
            )
        if isinstance(journal, str) and journal.startswith(DSN_SCHEMES):
            return cls(PostgresJournal(journal), job_id, owned=True)
        if isinstance(journal, (str, os.PathLike)):
            return cls(SQLiteJournal(journal), job_id, owned=True)
        if isinstance(journal, JournalStore):
            return cls(journal, job_id, owned=False)
        problem = (
            f"journal: must be a path, a postgresql:// DSN or a JournalStore, not {type(journal).__name__}"
        )
        raise RequestValidationError(f"{operation}_bulk", [problem])

    async def open(self, proposed: JobRecord) -> JobRecord:
        """The job as first recorded (``proposed`` if it is new)."""
        record = await self.store.open_job(proposed)
        if record.operation != proposed.operation:
            raise JournalError(
                f"journal job {self.job_id!r} is a {record.operation} job, not {proposed.operation}: "
                "give another job_id"
            )
        self._formed = await self.store.formed(self.job_id)
        return record

    @property
    def formed(self) -> int:
        """Batches the journal recorded when the job was opened."""
        return self._formed

    async def survey(self, customs_of: Callable[[Attempt], list[str | None]]) -> Survey:
        """What every batch recorded says of the job's custom strings (``customs_of`` reads an attempt's)."""
        seen: set[str] = set()
        survey = Survey(set(), None)
        witness_at = -math.inf
        for number in range(self._formed):
            for attempt in await self.store.attempts(self.job_id, number):
                customs = customs_of(attempt)
                if attempt.customs is not None:  # the caller's: perhaps shared
                    for custom in attempt.customs:
                        if custom in seen:
                            survey.shared.add(custom)
                        elif custom is not None:
                            seen.add(custom)
                settled = attempt.settlement
                if settled is not None and attempt.sent_at > witness_at:
                    accepted = (
                        c for c, k in zip(customs, settled.kinds, strict=True) if k == _ACCEPTED and c
                    )
                    if (custom := next(accepted, None)) is not None:
                        survey.witness, witness_at = custom, attempt.sent_at
        if survey.witness in survey.shared:
            survey.witness = None
        return survey

    async def close(self) -> None:
        if self._owned:
            await self.store.close()

    @staticmethod
    def digest(batch_json: list[bytes], body_end: bytes) -> str:
        """Of a batch as formed: its messages as sent (with their custom strings) and the shared fields."""
        digest = 0  # (a CRC: the digest finds an input changed by mistake; nobody forges one)
        for chunk in batch_json:
            digest = zlib.crc32(b",", zlib.crc32(chunk, digest))
        return f"{zlib.crc32(body_end, digest):08x}"

    async def started(self, number: int, attempt: int, messages: Messages, digest: str, at: float) -> None:
        customs = None if messages.tag_customs else messages.customs
        attempt_made = Attempt(number, attempt, messages.indices, customs, digest, at)
        await self.store.started(self.job_id, attempt_made)

    async def settled(self, number: int, attempt: int, settlement: Settlement) -> None:
        await self.store.settled(self.job_id, number, attempt, settlement)

    async def recorded(self, number: int) -> RecordedBatch | None:
        """What the journal holds of batch ``number``, if an earlier run formed it."""
        if number >= self._formed:
            return None
        attempts = await self.store.attempts(self.job_id, number)
        if not attempts:
            return None
        return RecordedBatch(attempts[0].digest, latest(attempts), len(attempts))

    async def unresolved(self) -> list[Attempt]:
        return await self.store.unresolved(self.job_id)


def latest(attempts: list[Attempt]) -> dict[int, Recorded]:
    """Each position's outcome by the last attempt that holds it (a settled one; in flight: unknown)."""
    by_position: dict[int, Recorded] = {}
    for attempt in attempts:
        settled = attempt.settlement
        if settled is None:
            unknown = Recorded(OutcomeKind.UNKNOWN.value, None, None, None, "in flight when the job stopped")
            by_position.update(dict.fromkeys(attempt.positions, unknown))
            continue
        for position, kind, status, message_id, price in zip(
            attempt.positions,
            settled.kinds,
            settled.statuses,
            settled.message_ids,
            settled.prices,
            strict=True,
        ):
            reason = None if kind in FINAL_KINDS else settled.reason
            by_position[position] = Recorded(kind, status, message_id, price, reason)
    return by_position
