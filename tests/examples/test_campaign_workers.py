"""examples/campaign_workers.py run for real: worker processes on a saq queue in the session's Redis, the
journal in PostgreSQL, the sandbox in this test's event loop. One worker is SIGKILLed while it sends and a
replacement started: every message reaches the sandbox exactly once, and every shard's journal is whole."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from saq import Queue, Status

from aioclicksend import AsyncClickSend, shard, shard_job_id
from aioclicksend.sandbox import SandboxServer
from examples.campaign_workers import campaign_messages, enqueue, wait_for_shards

from ..redis_server import RedisServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "campaign_workers.py"
TOTAL, SHARDS, BATCH = 3000, 6, 25
RATE = 8.0
"""Requests a second for the account, all workers together: 120 requests, a shard sends for seconds."""
DEADLINE = 90.0
"""Seconds any one condition may take to come (a slow, shared CI machine); the whole run takes about 25:
the killed shard is taken up again about 16 s after its last heartbeat (10 s, the sweep, saq's 5 s wait)."""


async def eventually(condition: Callable[[], object], what: str) -> None:
    """Wait until ``condition()`` is true (it may be a coroutine function), at most ``DEADLINE`` seconds."""
    give_up_at = time.monotonic() + DEADLINE
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < give_up_at, f"not within {DEADLINE} s: {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def queue(redis_server: RedisServer) -> AsyncIterator[Queue]:
    """A saq queue of its own on the session's Redis."""
    queue = Queue.from_url(redis_server.url, name=f"campaigns-{uuid.uuid4().hex}")
    await queue.connect()
    yield queue
    await queue.disconnect()


class Workers:
    """The example's worker processes (``python examples/campaign_workers.py worker``), each logging to a
    file of its own in ``logs``."""

    def __init__(self, queue: Queue, environment: dict[str, str], logs: Path) -> None:
        self.arguments = ["--queue", queue.name, "worker", "--rate", str(RATE), "--sweep-every", "1"]
        self.arguments += ["--history-lag", "1"]
        self.environment = environment
        self.logs = logs
        self.running: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        with (self.logs / f"worker-{len(self.running)}.log").open("wb") as log:
            self.running.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, str(EXAMPLE), *self.arguments, env=self.environment, stderr=log
                )
            )

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    async def stop(self) -> list[int | None]:
        """SIGTERM each (it finishes its task and leaves), SIGKILL one that does not; their exit codes."""
        for process in self.running:
            if process.returncode is None:
                process.terminate()
        for process in self.running:
            try:
                await asyncio.wait_for(process.wait(), DEADLINE)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
        return [process.returncode for process in self.running]


def shard_of(key: tuple[str, str]) -> int:
    """The shard of a delivered message, from its custom string ``<campaign>-<number>``."""
    return int(key[1].rpartition("-")[2]) % SHARDS


async def test_a_killed_worker_s_shard_is_resumed_by_another_and_nothing_is_sent_twice(
    queue: Queue, redis_server: RedisServer, postgres_dsn: str, tmp_path: Path
) -> None:
    campaign = f"spring-{uuid.uuid4().hex[:8]}"
    async with SandboxServer() as sandbox:
        environment = dict(
            os.environ,
            CLICKSEND_BASE_URL=sandbox.base_url,
            CLICKSEND_USERNAME="sandbox-user",
            CLICKSEND_API_KEY="sandbox-key",
            REDIS_URL=redis_server.url,
            JOURNAL_DSN=postgres_dsn,
        )
        workers = Workers(queue, environment, tmp_path)
        deliveries = sandbox.counters.deliveries
        try:
            for _ in range(3):
                await workers.start()
            keys = await enqueue(queue, campaign, TOTAL, SHARDS, batch_size=BATCH, heartbeat=10)
            shard_size = TOTAL // SHARDS
            victim: dict[str, str] = {}

            async def a_worker_is_sending_its_shard() -> bool:
                """A shard's task is active and from 6 to 12 of its 20 batches have been delivered."""
                for index, key in enumerate(keys):
                    task = await queue.job(key)
                    sent = sum(count for sent_key, count in deliveries.items() if shard_of(sent_key) == index)
                    if task and task.status == Status.ACTIVE and task.worker_id and 150 <= sent <= 300:
                        victim.update(key=key, worker=task.worker_id)
                        return True
                return False

            await eventually(a_worker_is_sending_its_shard, "a worker sending its shard")
            workers.kill(int(victim["worker"].rpartition(":")[2]))
            await workers.start()  # the replacement
            tasks = await asyncio.wait_for(wait_for_shards(queue, keys), DEADLINE)
        finally:
            exit_codes = await workers.stop()

        assert exit_codes.count(-signal.SIGKILL) == 1, exit_codes
        assert {key: task.status for key, task in tasks.items()} == dict.fromkeys(keys, Status.COMPLETE)
        killed = tasks[victim["key"]]
        assert killed.attempts >= 2 and killed.worker_id != victim["worker"]
        assert killed.result["resumed"] > 0, "the second run took up what the killed worker had sent"
        expected = {("sms", message["custom_string"]) for message in campaign_messages(campaign, TOTAL)}
        assert set(deliveries) == expected
        assert sandbox.counters.duplicates() == {}
        assert deliveries.total() == TOTAL

        # Every shard's journal is whole: run again, each gives every message's outcome, sends nothing.
        async with AsyncClickSend("sandbox-user", "sandbox-key", base_url=sandbox.base_url) as cs:
            for index in range(SHARDS):
                summary = await cs.sms.send_bulk(
                    shard(campaign_messages(campaign, TOTAL), index, SHARDS),
                    journal=postgres_dsn,
                    job_id=shard_job_id(campaign, index, SHARDS),
                    batch_size=BATCH,
                    history_lag=0,
                )
                assert (summary.resumed, summary.accepted, summary.requests) == (shard_size, shard_size, 0)
        assert deliveries.total() == TOTAL
