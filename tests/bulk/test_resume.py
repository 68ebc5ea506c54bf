"""Resuming a job: the outcomes of a stopped resume agree with the journal, the history lookup stops when
the job is stopped, and a custom_string shared by several messages never matches one of them."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from aioclicksend import AsyncClickSend, JournalError, OutcomeKind
from aioclicksend.bulk.lookup import HistoryLookup, Window
from aioclicksend.bulk.outcomes import SHARED_CUSTOM_STRING
from aioclicksend.journal import Attempt, SQLiteJournal
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import SandboxServer

from ..support import assert_journal_settled

Sandbox = tuple[SandboxServer, AsyncClickSend]


def sms(count: int) -> Iterator[SmsMessageParam]:
    return ({"to": f"+614{i:08d}", "body": f"message {i}"} for i in range(count))


def delivered(server: SandboxServer) -> int:
    return sum(count for (channel, _), count in server.counters.deliveries.items() if channel == "sms")


async def kinds_of(job: Any) -> Counter[OutcomeKind]:
    return Counter([outcome.kind async for outcome in job])


async def lost_answers(cs: AsyncClickSend, server: SandboxServer, journal: Path, count: int) -> None:
    """A first run whose every batch reaches the sandbox and gets no answer: all of it in flight."""
    server.faults.drop_rate = 1.0
    first = await cs.sms.send_bulk(sms(count), journal=journal, batch_size=100, max_retries=0)
    server.faults.drop_rate = 0.0
    assert first.unknown == count and delivered(server) == count


async def test_a_resume_stopped_while_waiting_for_the_history_claims_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    server, cs = sandbox
    journal = tmp_path / "job.db"
    await lost_answers(cs, server, journal, 500)
    job = cs.sms.send_bulk(sms(500), journal=journal, batch_size=100, history_lag=30)
    asyncio.get_running_loop().call_later(0.3, job.stop)
    started = time.monotonic()
    kinds = await kinds_of(job)
    assert time.monotonic() - started < 5, "the stop ends the wait for the history"
    assert kinds == {OutcomeKind.UNKNOWN: 500}, "what is in flight stays unknown: never not_sent"
    assert delivered(server) == 500
    finished = await cs.sms.send_bulk(sms(500), journal=journal, batch_size=100, history_lag=0)
    assert finished.accepted == 500 and finished.requests == 0 and delivered(server) == 500
    assert_journal_settled(journal)


async def test_a_resume_stopped_while_reading_the_history_claims_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    server, cs = sandbox
    journal = tmp_path / "job.db"
    await cs.sms.send_bulk(sms(300), journal=journal, batch_size=100)  # settled: accepted
    first = cs.sms.send_bulk(sms(800), journal=journal, batch_size=100, max_retries=0)
    server.faults.drop_rate = 1.0
    await first
    server.faults.drop_rate = 0.0
    for i in range(3000):  # other messages of the account: the history is long
        await cs.sms.send(messages=[{"to": f"+6142{i:07d}", "body": "other"}])
    server.faults.latency_ms = 400  # each page of the history is slow
    job = cs.sms.send_bulk(sms(800), journal=journal, batch_size=100, history_lag=0, concurrency=1)
    asyncio.get_running_loop().call_later(0.6, job.stop)
    started = time.monotonic()
    outcomes = {outcome.index: outcome.kind async for outcome in job}
    assert time.monotonic() - started < 5, "the stop ends the lookup"
    assert {outcomes[i] for i in range(300)} == {OutcomeKind.ACCEPTED}, "accepted stays accepted"
    assert {outcomes[i] for i in range(300, 800)} == {OutcomeKind.UNKNOWN}
    server.faults.latency_ms = 0
    finished = await cs.sms.send_bulk(sms(800), journal=journal, batch_size=100, history_lag=0)
    assert finished.accepted == 800 and delivered(server) == 800 + 3000
    assert_journal_settled(journal)


async def test_a_campaign_code_shared_by_messages_is_never_matched(sandbox: Sandbox, tmp_path: Path) -> None:
    """30 messages carry SPRING24; the first batch is accepted, the two others get a 5xx before anything is
    done. The history holds 10 SPRING24 messages: which of the 30 they are, nobody can tell."""
    server, cs = sandbox
    journal = tmp_path / "job.db"

    async def campaign() -> AsyncIterator[SmsMessageParam]:
        for i in range(30):
            if i == 10:  # the first batch reached ClickSend; the others will fail
                while delivered(server) < 10:
                    await asyncio.sleep(0.01)
                server.faults.error_rate = 1.0
            yield {"to": f"+614110000{i:02d}", "body": "Spring sale", "custom_string": "SPRING24"}

    job = cs.sms.send_bulk(campaign(), journal=journal, batch_size=10, concurrency=1, max_retries=0)
    assert await kinds_of(job) == {OutcomeKind.ACCEPTED: 10, OutcomeKind.UNKNOWN: 20}
    server.faults.error_rate = 0.0
    reconciled = await job.reconcile()
    assert {outcome.kind for outcome in reconciled} == {OutcomeKind.UNKNOWN}
    assert {outcome.reason for outcome in reconciled} == {SHARED_CUSTOM_STRING}

    again: list[SmsMessageParam] = [
        {"to": f"+614110000{i:02d}", "body": "Spring sale", "custom_string": "SPRING24"} for i in range(30)
    ]
    resumed = cs.sms.send_bulk(again, journal=journal, batch_size=10, history_lag=0)
    outcomes = [outcome async for outcome in resumed]
    assert Counter(outcome.kind for outcome in outcomes) == {
        OutcomeKind.ACCEPTED: 10,
        OutcomeKind.UNKNOWN: 20,
    }
    assert {outcome.reason for outcome in outcomes if outcome.kind is OutcomeKind.UNKNOWN} == {
        SHARED_CUSTOM_STRING
    }
    assert delivered(server) == 10, "nothing sent again, nothing claimed sent that was not"


async def test_plain_custom_strings_given_twice_are_not_matched_by_reconcile(sandbox: Sandbox) -> None:
    _, cs = sandbox
    await cs.sms.send(messages=[{"to": "+61411000001", "body": "x", "custom_string": "order-7"}])
    found = await cs.sms.send_bulk([], tag="t").reconcile(["order-7", "order-7", "order-8"])
    assert [outcome.kind for outcome in found] == [
        OutcomeKind.UNKNOWN,
        OutcomeKind.UNKNOWN,
        OutcomeKind.NOT_SENT,
    ]


TAMPERING = [
    ("UPDATE jobs SET batch_size = 'many'", "its record is damaged"),
    ("UPDATE jobs SET batch_size = 10000000000", "its record is damaged"),
    (
        'UPDATE attempts SET positions = \'{"first": 0, "count": 1000000000000}\' WHERE number = 1',
        "positions",
    ),
    ("UPDATE attempts SET positions = '[1, 2, \"x\"]' WHERE number = 1", "positions"),
    ("UPDATE attempts SET positions = 'not json' WHERE number = 1", "cannot be read"),
    (
        'UPDATE attempts SET positions = \'{"first": 5000, "count": 100}\' WHERE number = 1',
        "records input positions",
    ),
    ("UPDATE attempts SET customs = '[\"a\"]' WHERE number = 1", "customs"),
    ('UPDATE settlements SET settlement = \'{"kinds": {"same": "accepted", "count": 1e12}}\'', "cannot be"),
    (
        'UPDATE settlements SET settlement = \'{"kinds": ["sent!"], "statuses": [], "message_ids": [],'
        ' "prices": []}\' WHERE number = 1',
        "settlement",
    ),
    ("UPDATE attempts SET sent_at = 'yesterday'", "record"),
]


@pytest.mark.parametrize(("statement", "said"), TAMPERING)
async def test_a_tampered_journal_is_a_journal_error(
    sandbox: Sandbox, tmp_path: Path, statement: str, said: str
) -> None:
    server, cs = sandbox
    journal = tmp_path / "job.db"
    await cs.sms.send_bulk(sms(300), journal=journal, batch_size=100)
    with closing(sqlite3.connect(journal)) as db:
        db.execute(statement)
        db.commit()
    with pytest.raises(JournalError, match=said):
        await cs.sms.send_bulk(sms(300), journal=journal, batch_size=100, history_lag=0)
    assert delivered(server) == 300, "nothing sent again"


class WatchedJournal(SQLiteJournal):
    """A SQLite journal that keeps each hand-off it records, and may fail to record one."""

    def __init__(self, path: Path, *, fail_after: int | None = None) -> None:
        super().__init__(path)
        self.hand_offs: list[tuple[int, float]] = []
        self.fail_after = fail_after

    async def started(self, job_id: str, attempt: Attempt) -> None:
        if self.fail_after is not None and len(self.hand_offs) >= self.fail_after:
            raise JournalError("journal: disk full")
        self.hand_offs.append((attempt.number, attempt.sent_at))
        await super().started(job_id, attempt)


async def test_a_batch_that_waits_for_its_pace_records_when_it_goes(sandbox: Sandbox, tmp_path: Path) -> None:
    """The history is searched around a batch's hand-off: a batch held back by the pace records the time
    it really goes, not the time it was formed."""
    _, cs = sandbox
    journal = WatchedJournal(tmp_path / "job.db")
    started = time.time()
    summary = await cs.sms.send_bulk(sms(400), journal=journal, batch_size=100, max_rate=1.0, concurrency=4)
    await journal.close()
    assert summary.accepted == 400
    last = {number: at for number, at in journal.hand_offs}
    assert last[3] - started >= 2.5, "the fourth request goes about 3 s in, and is recorded then"
    assert [number for number, _ in journal.hand_offs].count(3) == 2, (
        "recorded when formed, then when it went"
    )


async def test_a_hand_off_the_journal_cannot_record_is_not_sent(sandbox: Sandbox, tmp_path: Path) -> None:
    server, cs = sandbox
    journal = WatchedJournal(tmp_path / "job.db", fail_after=2)
    kinds = await kinds_of(cs.sms.send_bulk(sms(500), journal=journal, batch_size=100, concurrency=1))
    await journal.close()
    assert kinds[OutcomeKind.ACCEPTED] == 200 and kinds[OutcomeKind.NOT_SENT] >= 100
    assert set(kinds) == {OutcomeKind.ACCEPTED, OutcomeKind.NOT_SENT}, "the job stopped, nothing unknown"
    assert delivered(server) == 200


def others(count: int, start: int) -> Iterator[SmsMessageParam]:
    return (
        {"to": f"+6143{i:07d}", "body": "someone else's", "custom_string": f"o{i}"}
        for i in range(start, start + count)
    )


@pytest.mark.parametrize(
    ("fault", "found"),
    [("drop_rate", 8000), ("error_rate", 0)],
    ids=["batches-reached-clicksend", "batches-never-reached-it"],
)
async def test_a_resume_reads_history_pages_in_proportion_to_what_was_in_flight(
    sandbox: Sandbox, tmp_path: Path, fault: str, found: int
) -> None:
    """300 000 other messages sent around a job whose 8 batches of 1000 were in flight when it died: the
    resume reads about a page per 40 of those 8000, not the 3000 pages of the account's traffic, whether
    the batches reached ClickSend (their answers lost) or not (a 5xx before anything was done)."""
    server, cs = sandbox
    journal = tmp_path / "job.db"
    await cs.sms.send_bulk(others(150_000, 0), concurrency=8)
    setattr(server.faults, fault, 1.0)
    first = await cs.sms.send_bulk(sms(8000), journal=journal, batch_size=1000, concurrency=8, max_retries=0)
    setattr(server.faults, fault, 0.0)
    assert first.unknown == 8000
    await cs.sms.send_bulk(others(150_000, 150_000), concurrency=8)
    pages_before = server.counters.requests["ListSmsHistory"]
    started = time.monotonic()
    summary = await cs.sms.send_bulk(sms(8000), journal=journal, batch_size=1000, history_lag=0)
    seconds = time.monotonic() - started
    pages = server.counters.requests["ListSmsHistory"] - pages_before
    assert summary.accepted == 8000 and summary.resumed == found
    assert summary.requests == (8000 - found) // 1000, "what never reached ClickSend is sent, once"
    assert delivered(server) == 308_000 and not server.counters.duplicates()
    assert pages <= 8000 / 40 + 10, f"{pages} pages for 8000 messages in flight"
    assert seconds < 60, f"the resume took {seconds:.1f} s"


async def test_a_resume_reads_the_history_by_date_when_the_search_cannot_be_trusted(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the history's search to fail its witness, the lookup reads by date: still nothing sent twice."""
    server, cs = sandbox
    journal = tmp_path / "job.db"
    await lost_answers(cs, server, journal, 500)

    async def untrusted(self: HistoryLookup, customs: list[str], window: Window, witness: str) -> set[str]:
        self.search_failed = True
        return set()

    monkeypatch.setattr(HistoryLookup, "_search", untrusted)
    summary = await cs.sms.send_bulk(sms(500), journal=journal, batch_size=100, history_lag=0)
    assert summary.accepted == summary.resumed == 500 and summary.requests == 0
    assert delivered(server) == 500
