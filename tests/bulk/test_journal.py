"""Bulk jobs with a journal: run again, they finish the job without sending anything twice (each test
taking ``journal`` runs with a SQLite file and with a PostgreSQL database)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aioclicksend import AsyncClickSend, JournalError, OutcomeKind, RequestValidationError, reconcile
from aioclicksend.journal import JournalStore, SQLiteJournal
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import SandboxServer

from ..support import assert_job_settled

Sandbox = tuple[SandboxServer, AsyncClickSend]


def sms(count: int, text: str = "message") -> Iterator[SmsMessageParam]:
    return ({"to": f"+614{i:08d}", "body": f"{text} {i}"} for i in range(count))


def deliveries(server: SandboxServer) -> Counter[str]:
    return Counter(
        {key: count for (channel, key), count in server.counters.deliveries.items() if channel == "sms"}
    )


async def test_a_finished_job_run_again_sends_nothing(sandbox: Sandbox, journal: Path | str) -> None:
    server, cs = sandbox
    first = await cs.sms.send_bulk(sms(950), journal=journal, job_id="promo", batch_size=100)
    assert first.accepted == 950 and first.resumed == 0
    sent = deliveries(server)
    again = cs.sms.send_bulk(sms(950), journal=journal, job_id="promo", batch_size=100)
    outcomes = [outcome async for outcome in again]
    assert deliveries(server) == sent and set(sent.values()) == {1}
    assert sorted(outcome.index for outcome in outcomes) == list(range(950))
    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.ACCEPTED}
    assert again.summary.resumed == again.summary.accepted == 950 and again.summary.cost == first.cost
    cost = re.compile(r"cost [^;]*;")  # summed from the journal's prices: the same text too
    assert (
        cost.findall(str(again.summary)) == cost.findall(str(first)) == [f"cost {first.cost.normalize():f};"]
    )
    assert all(outcome.custom_string in sent for outcome in outcomes)


async def test_a_cancelled_job_is_finished_by_the_next_run(sandbox: Sandbox, journal: Path | str) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 150
    job = cs.sms.send_bulk(sms(3_000), journal=journal, batch_size=100, concurrency=4, history_lag=0)
    task = asyncio.create_task(job._drain())
    await asyncio.sleep(0.4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert job.summary.unknown > 0, "some batches were in flight"
    server.faults.latency_ms = 0
    summary = await cs.sms.send_bulk(sms(3_000), journal=journal, batch_size=100, history_lag=0)
    sent = deliveries(server)
    assert len(sent) == 3_000 and set(sent.values()) == {1}, "each message reached ClickSend once"
    assert summary.accepted == 3_000 and summary.resumed > 0 and summary.unknown == summary.not_sent == 0
    await assert_job_settled(journal)


async def test_another_input_is_refused(sandbox: Sandbox, journal: Path | str) -> None:
    server, cs = sandbox
    await cs.sms.send_bulk(sms(250), journal=journal, batch_size=100)
    sent = deliveries(server)
    changed = cs.sms.send_bulk(sms(300, text="other"), journal=journal, batch_size=100)
    outcomes = []
    with pytest.raises(JournalError, match=r"batch 0 .*input positions 0 to 99.* the input differs"):
        async for outcome in changed:
            outcomes.append(outcome)
    assert deliveries(server) == sent, "nothing of the other input was sent"
    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.NOT_SENT}
    with pytest.raises(JournalError, match=r"is a sms\.send job, not mms\.send"):
        await cs.mms.send_bulk([], journal=journal, job_id="sms.send", media_file="https://x/a.jpg")


async def test_a_resumed_job_keeps_its_tag_and_batch_size(sandbox: Sandbox, journal: Path | str) -> None:
    _, cs = sandbox
    await cs.sms.send_bulk(sms(10), journal=journal, tag="first", batch_size=5)
    job = cs.sms.send_bulk(sms(12), journal=journal, tag="second", batch_size=100)
    outcomes = sorted([outcome async for outcome in job], key=lambda outcome: outcome.index)
    assert [outcome.custom_string for outcome in outcomes] == [f"first:{i}" for i in range(12)]
    assert job.summary.resumed == 10 and job.summary.accepted == 12 and job.summary.requests == 1


async def test_journal_arguments_are_checked(sandbox: Sandbox, tmp_path: Path) -> None:
    _, cs = sandbox
    with pytest.raises(RequestValidationError, match="job_id: needs a journal"):
        cs.sms.send_bulk(sms(1), job_id="x")
    with pytest.raises(
        RequestValidationError,
        match="journal: must be a path, a postgresql:// DSN or a JournalStore, not int",
    ):
        cs.sms.send_bulk(sms(1), journal=3)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="history_lag: must be 0 or more"):
        cs.sms.send_bulk(sms(1), journal=tmp_path / "j.db", history_lag=-1)
    (tmp_path / "bad.db").write_bytes(b"not a database" * 100)
    with pytest.raises(JournalError, match="cannot be used"):
        await cs.sms.send_bulk(sms(1), journal=tmp_path / "bad.db")
    assert isinstance(SQLiteJournal(tmp_path / "j.db"), JournalStore)


async def test_cancelling_leaves_every_outcome_readable(sandbox: Sandbox) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 100
    job = cs.sms.send_bulk(sms(5_000), batch_size=100, concurrency=4)
    yielded = []

    async def read() -> None:
        async for outcome in job:
            yielded.append(outcome)

    task = asyncio.create_task(read())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    indices = [outcome.index for outcome in [*yielded, *job.left_over]]
    assert sorted(indices) == list(range(job.summary.handed_out)), "every message taken, once"
    kinds = Counter(outcome.kind for outcome in [*yielded, *job.left_over])
    summary = job.summary
    assert kinds == Counter(
        {
            kind: count
            for kind, count in {
                OutcomeKind.ACCEPTED: summary.accepted,
                OutcomeKind.UNKNOWN: summary.unknown,
                OutcomeKind.NOT_SENT: summary.not_sent,
            }.items()
            if count
        }
    )
    assert any(outcome.kind is OutcomeKind.UNKNOWN for outcome in job.left_over)


async def test_reconcile_takes_custom_strings_and_stops_once_all_are_found(sandbox: Sandbox) -> None:
    _, cs = sandbox
    await cs.sms.send_bulk(sms(300), tag="r")
    read = 0

    async def history() -> Any:
        nonlocal read
        async for entry in cs.sms.history.list():
            read += 1
            yield entry

    found = await reconcile(["r:0", "r:1", "nope"], history())
    assert [outcome.kind for outcome in found] == [
        OutcomeKind.ACCEPTED,
        OutcomeKind.ACCEPTED,
        OutcomeKind.NOT_SENT,
    ]
    assert read == 300
    read = 0
    found = await reconcile(["r:0", "r:1"], history())
    assert {outcome.kind for outcome in found} == {OutcomeKind.ACCEPTED} and read < 300
    with pytest.raises(RequestValidationError, match=r"outcomes\[0\]: must be an Outcome or a custom_string"):
        await reconcile([3], history())  # type: ignore[list-item]


async def test_a_journal_keeps_the_callers_own_custom_strings(sandbox: Sandbox, journal: Path | str) -> None:
    """Custom strings of the tag's are not written down (they follow from the position); the caller's
    are, and a batch that got no answer is looked up by them."""
    server, cs = sandbox
    given: list[SmsMessageParam] = [
        {"to": f"+614{i:08d}", "body": "b", "custom_string": f"mine-{i}"}
        if i % 2
        else {"to": f"+614{i:08d}", "body": "b"}
        for i in range(40)
    ]
    server.faults.drop_rate = 1.0  # each batch is sent, then its connection dropped: no answer
    first = await cs.sms.send_bulk(given, journal=journal, batch_size=10, max_retries=0)
    server.faults.drop_rate = 0.0
    assert first.unknown == 40 and len(deliveries(server)) == 40
    summary = await cs.sms.send_bulk(given, journal=journal, batch_size=10, history_lag=0)
    assert summary.accepted == summary.resumed == 40 and summary.requests == 0
    assert set(deliveries(server).values()) == {1}
    assert {f"mine-{i}" for i in range(1, 40, 2)} <= set(deliveries(server))


async def test_one_writer_at_a_time(sandbox: Sandbox, journal: Path | str) -> None:
    """Two runs of a job at once could both send a batch: the second cannot open the journal."""
    server, cs = sandbox
    server.faults.latency_ms = 300
    first = asyncio.create_task(cs.sms.send_bulk(sms(100), journal=journal, batch_size=50)._drain())
    await asyncio.sleep(0.1)
    with pytest.raises(JournalError, match=r"locked|held by another worker"):
        await cs.sms.send_bulk(sms(100), journal=journal, batch_size=50)
    server.faults.latency_ms = 0
    assert (await first).accepted == 100
    assert set(deliveries(server).values()) == {1} and len(deliveries(server)) == 100
