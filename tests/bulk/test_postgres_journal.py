"""The journal in PostgreSQL, against a real server (tests/postgres_server.py): one worker a job at a time,
a killed worker's job taken over, a database that restarts mid-job, a schema of a newer version.

(The journal's behaviours shared with SQLite are tested on both stores in tests/test_journal.py.)"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator

import asyncpg
import pytest

from aioclicksend import AsyncClickSend, JournalError
from aioclicksend.journal import Attempt, JobRecord, JournalStore, PostgresJournal
from aioclicksend.params import SmsMessageParam
from aioclicksend.sandbox import SandboxServer

from ..postgres_server import PostgresServer
from ..support import assert_job_settled

Sandbox = tuple[SandboxServer, AsyncClickSend]

WORKER = """
import asyncio, sys
from aioclicksend import AsyncClickSend

async def main(base_url, dsn, count):
    async with AsyncClickSend("worker", "key", base_url=base_url) as cs:
        messages = ({"to": f"+614{i:08d}", "body": f"message {i}"} for i in range(int(count)))
        await cs.sms.send_bulk(messages, journal=dsn, job_id="campaign/0", batch_size=50, concurrency=2)

asyncio.run(main(*sys.argv[1:]))
"""
"""A worker process: sends a campaign's shard with its journal in PostgreSQL."""


def sms(count: int) -> Iterator[SmsMessageParam]:
    return ({"to": f"+614{i:08d}", "body": f"message {i}"} for i in range(count))


def deliveries(server: SandboxServer) -> Counter[str]:
    return Counter(
        {key: count for (channel, key), count in server.counters.deliveries.items() if channel == "sms"}
    )


async def recorded(dsn: str, job_id: str = "sms.send") -> int:
    """How many attempts the journal holds for the job (on a connection of its own)."""
    try:
        connection = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError):  # (the server restarting)
        return 0
    try:
        if await connection.fetchval("SELECT to_regclass('aioclicksend.attempts')") is None:
            return 0
        return int(
            await connection.fetchval("SELECT count(*) FROM aioclicksend.attempts WHERE job_id = $1", job_id)
        )
    finally:
        await connection.close()


async def until_recorded(dsn: str, attempts: int, job_id: str = "sms.send") -> None:
    deadline = time.monotonic() + 60
    while await recorded(dsn, job_id) < attempts:
        assert time.monotonic() < deadline, f"the job did not record {attempts} attempts in 60 s"
        await asyncio.sleep(0.05)


def job(job_id: str = "x") -> JobRecord:
    return JobRecord(job_id, "sms.send", "tag", 100, time.time())


def attempt(number: int) -> Attempt:
    return Attempt(number, 0, list(range(number * 100, number * 100 + 100)), None, "00000000", time.time())


async def test_a_second_worker_is_refused_while_the_first_holds_the_job(postgres_dsn: str) -> None:
    first, second = PostgresJournal(postgres_dsn), PostgresJournal(postgres_dsn)
    assert isinstance(first, JournalStore)
    try:
        await first.open_job(job())
        with pytest.raises(JournalError, match=r"job 'x' is held by another worker"):
            await second.open_job(job())
        assert (await second.open_job(job("y"))).job_id == "y", "other jobs are free"
        await first.started("x", attempt(0))
        await first.close()  # (its session ends: the job is free)
        assert (await second.open_job(job())).job_id == "x"
        assert await second.formed("x") == 1
    finally:
        await first.close()
        await second.close()


async def test_a_worker_killed_mid_job_is_taken_over_and_nothing_is_sent_twice(
    sandbox: Sandbox, postgres_dsn: str
) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 50
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, server.base_url, postgres_dsn, "3000", stderr=asyncio.subprocess.PIPE
    )
    try:
        await until_recorded(postgres_dsn, 10, "campaign/0")
    finally:
        worker.send_signal(signal.SIGKILL)
        _, errors = await worker.communicate()
    assert worker.returncode == -signal.SIGKILL, errors.decode(errors="replace")
    sent_before = sum(deliveries(server).values())
    assert 0 < sent_before < 3000, "killed mid-job"
    server.faults.latency_ms = 0
    summary = await cs.sms.send_bulk(sms(3000), journal=postgres_dsn, job_id="campaign/0", history_lag=2)
    assert summary.accepted == 3000 and summary.resumed >= sent_before - 100 and summary.stopped is None
    sent = deliveries(server)
    assert len(sent) == 3000 and set(sent.values()) == {1}, "every message reached ClickSend exactly once"
    await assert_job_settled(postgres_dsn, "campaign/0")


async def test_a_database_restart_mid_job_is_waited_out(
    sandbox: Sandbox, postgres: PostgresServer, postgres_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 30
    running = asyncio.create_task(cs.sms.send_bulk(sms(3000), journal=postgres_dsn, batch_size=50)._drain())
    await until_recorded(postgres_dsn, 5)
    with caplog.at_level(logging.WARNING, "aioclicksend"):
        await asyncio.to_thread(postgres.restart, "immediate")  # (as if it crashed)
        summary = await running
    assert summary.accepted == 3000 and summary.stopped is None and summary.unknown == 0
    sent = deliveries(server)
    assert len(sent) == 3000 and set(sent.values()) == {1}
    assert "connection lost" in caplog.text
    await assert_job_settled(postgres_dsn)


async def test_a_database_away_too_long_stops_the_job_and_the_next_run_finishes_it(
    sandbox: Sandbox, postgres: PostgresServer, postgres_dsn: str
) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 30
    store = PostgresJournal(postgres_dsn, reconnect_for=1)
    running = asyncio.create_task(cs.sms.send_bulk(sms(3000), journal=store, batch_size=50)._drain())
    await until_recorded(postgres_dsn, 5)
    await asyncio.to_thread(postgres.stop, "fast")
    try:
        summary = await running
        await store.close()
    finally:
        await asyncio.to_thread(postgres.start)
    assert summary.stopped is not None and "out of reach for 1 s" in summary.stopped
    assert summary.accepted < 3000 and set(deliveries(server).values()) == {1}
    with pytest.raises(JournalError, match="out of reach"):
        await store.formed("sms.send")  # (it gave the job up: it writes nothing more)
    server.faults.latency_ms = 0
    again = await cs.sms.send_bulk(sms(3000), journal=postgres_dsn, batch_size=50, history_lag=1)
    assert again.accepted == 3000
    sent = deliveries(server)
    assert len(sent) == 3000 and set(sent.values()) == {1}


async def test_a_job_taken_over_while_the_connection_was_lost_stops_its_first_worker(
    postgres: PostgresServer, postgres_dsn: str
) -> None:
    first, second = PostgresJournal(postgres_dsn, reconnect_for=1), PostgresJournal(postgres_dsn)
    try:
        await first.open_job(job())
        admin = await asyncpg.connect(postgres_dsn)
        try:  # the first worker's session is cut (its lock goes with it) ...
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        await second.open_job(job())  # ... and the second takes the job over
        with pytest.raises(JournalError, match="held by another worker, which took it over"):
            await first.started("x", attempt(0))
        assert await second.formed("x") == 0, "the first worker recorded nothing more"
    finally:
        await first.close()
        await second.close()


async def test_a_newer_schema_is_refused(postgres_dsn: str) -> None:
    store = PostgresJournal(postgres_dsn)
    await store.open_job(job())
    await store.close()
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute("UPDATE aioclicksend.schema_version SET version = 2")
    finally:
        await admin.close()
    store = PostgresJournal(postgres_dsn)
    with pytest.raises(
        JournalError, match=r"schema version 2, this aioclicksend knows 1: upgrade aioclicksend"
    ):
        await store.open_job(job())
    await store.close()


async def test_many_workers_create_the_schema_at_once(postgres_dsn: str) -> None:
    stores = [PostgresJournal(postgres_dsn) for _ in range(8)]
    try:
        opened = await asyncio.gather(*(store.open_job(job(f"shard-{i}")) for i, store in enumerate(stores)))
        assert [record.job_id for record in opened] == [f"shard-{i}" for i in range(8)]
    finally:
        for store in stores:
            await store.close()


async def test_an_unreachable_database_is_a_journal_error_without_the_password(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    server, cs = sandbox
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # (closed again: nothing listens there)
    dsn = f"postgresql://me:hunter2@127.0.0.1:{port}/journal?password=hunter2"
    with caplog.at_level(logging.DEBUG, "aioclicksend"), pytest.raises(JournalError) as raised:
        await cs.sms.send_bulk(sms(10), journal=dsn)
    message = str(raised.value)
    assert f"journal postgresql://me@127.0.0.1:{port}/journal: cannot be used" in message
    assert "hunter2" not in message and "hunter2" not in caplog.text
    assert deliveries(server) == Counter(), "nothing sent"


async def test_a_missing_database_is_a_journal_error(sandbox: Sandbox, postgres: PostgresServer) -> None:
    _, cs = sandbox
    with pytest.raises(
        JournalError, match=r"cannot be used: InvalidCatalogNameError: database .nope. does not"
    ):
        await cs.sms.send_bulk(sms(10), journal=postgres.dsn("nope"))


async def test_without_asyncpg_the_error_names_the_extra(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cs = sandbox
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # (as if it were not installed)
    with pytest.raises(JournalError, match=r"needs asyncpg: pip install 'aioclicksend\[postgres\]'"):
        PostgresJournal("postgresql://127.0.0.1/journal")
    with pytest.raises(JournalError, match=r"needs asyncpg"):  # at once, before the job takes anything
        cs.sms.send_bulk(sms(10), journal="postgres://127.0.0.1/journal")
