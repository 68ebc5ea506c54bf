"""A campaign sent in shards by worker processes (tests/campaign_worker.py) on one sandbox account, with
faults on the way: workers SIGKILLed (each replaced by a new worker, as a job system re-delivers its task)
and PostgreSQL restarted, at moments drawn from a seed. Used by tests/bulk/test_campaign_faults.py, which
checks the outcome, and bench/run.py, which reports its numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from .campaign_worker import shard_size

__all__ = ["Campaign", "CampaignRun", "Disruptions", "run_campaign", "running_sandbox", "sandbox_counters"]

ROOT = Path(__file__).resolve().parent.parent
"""Where ``python -m tests.campaign_worker`` finds the worker."""
POLL_INTERVAL = 0.2
"""Seconds between looks at the sandbox's counters (each look costs it a pass over its deliveries)."""


@dataclass(frozen=True)
class Campaign:
    name: str
    messages: int
    shards: int
    workers: int
    rate: float = 0.0
    """The account's requests a second, which the workers' RedisThrottle keeps to (0: no limit)."""
    batch_size: int = 1000
    concurrency: int = 4
    """Batches each worker has in flight at once."""

    def options(self) -> list[str]:
        """The worker's command-line options for the campaign's settings."""
        return [f"--rate={self.rate}", f"--batch-size={self.batch_size}", f"--concurrency={self.concurrency}"]


@dataclass(frozen=True)
class Disruptions:
    """What goes wrong, and when: each at a share of the campaign delivered, drawn from ``seed``
    between 10% and 60% (mid-run whatever the machine's speed), as is the worker each kill hits."""

    kills: int = 0
    """Workers SIGKILLed, each replaced by a new one at once."""
    database_restarts: int = 0
    seed: int = 0


@dataclass
class Worker:
    """A worker process and what it printed: a report per run of a shard, its progress, and its log."""

    name: str
    first: int
    """The shard it starts with."""
    process: asyncio.subprocess.Process
    reports: list[dict[str, Any]] = field(default_factory=list)
    progress: dict[str, int] | None = None
    """The shard it ran last (``shard``) and its messages settled so far (``settled``)."""
    log: str = ""

    @property
    def throttled(self) -> int:
        """429s answered to this worker's shard runs that ended (a killed one's last run is lost)."""
        return sum(report.get("throttled", 0) for report in self.reports)

    async def follow(self) -> None:
        """Read the worker's reports and log until it exits."""
        assert self.process.stdout is not None and self.process.stderr is not None
        log = asyncio.ensure_future(self.process.stderr.read())
        async for line in self.process.stdout:
            report = json.loads(line)
            if "settled" in report:
                self.progress = report
            else:
                self.reports.append(report)
        self.log = (await log).decode(errors="replace")
        await self.process.wait()


@dataclass
class CampaignRun:
    seconds: float
    """From the first worker's start to the last one's exit."""
    sending: float
    """Seconds from the first delivery to the last, as the sandbox's counters showed them (looked at
    every ``POLL_INTERVAL``): the campaign's time without the workers' start and their last checks."""
    counters: dict[str, Any]
    """The sandbox's counters at the end."""
    workers: list[Worker]
    events: list[str]
    """What was done to the run, when."""

    @property
    def throttled(self) -> int:
        """429s the sandbox answered, to every worker."""
        return int(self.counters["answered"].get("429", 0))

    def describe(self) -> str:
        per_worker = ", ".join(f"{worker.name}: {worker.throttled}" for worker in self.workers)
        return (
            f"{self.counters['deliveries']} delivered in {self.seconds:.1f} s, "
            f"{len(self.counters['duplicates'])} duplicates; 429s: {self.throttled} in all ({per_worker}); "
            + "; ".join(self.events)
        )


class CampaignDriver:
    """Starts a campaign's workers, disrupts them as planned, and waits for them to be done."""

    def __init__(
        self,
        campaign: Campaign,
        services: tuple[str, str, str],
        disruptions: Disruptions,
        restart_database: Callable[[], None] | None,
    ) -> None:
        self.campaign = campaign
        self.base_url, self.dsn, self.redis_url = services
        self.draws = random.Random(disruptions.seed)
        events = ["kill"] * disruptions.kills + ["restart"] * disruptions.database_restarts
        self.plan = sorted((self.draws.uniform(0.1, 0.6), event) for event in events)
        """(share delivered, "kill" or "restart"), in the order they happen."""
        self.restart_database = restart_database
        self.started = time.monotonic()
        self.workers: list[Worker] = []
        self.events: list[str] = []
        self._delivered = 0
        self._sending = (0.0, 0.0)
        """When deliveries were first seen, and last seen growing."""
        self._tasks: list[asyncio.Task[None]] = []
        """Each worker's follower, and the database restarts."""

    async def start(self, first: int) -> Worker:
        campaign = self.campaign
        arguments = [self.base_url, self.dsn, self.redis_url, campaign.name]
        arguments += [str(campaign.messages), str(campaign.shards), str(first), *campaign.options()]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.campaign_worker",
            *arguments,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        worker = Worker(f"worker-{len(self.workers)}", first, process)
        self.workers.append(worker)
        self._tasks.append(asyncio.create_task(worker.follow()))
        return worker

    def running(self) -> list[Worker]:
        return [worker for worker in self.workers if worker.process.returncode is None]

    async def disrupt(self, delivered: float) -> None:
        """Do what the plan says is due once ``delivered`` (a share of the campaign) is; a kill waits
        for a worker in the middle of a shard (part of it settled)."""
        while self.plan and delivered >= self.plan[0][0]:
            at = f"{time.monotonic() - self.started:.1f} s, {delivered:.0%} delivered"
            if self.plan[0][1] == "restart":
                assert self.restart_database is not None, "a restart planned without a database"
                self._tasks.append(asyncio.create_task(asyncio.to_thread(self.restart_database)))
                self.events.append(f"PostgreSQL restarted ({at})")
            else:
                in_shards = [worker for worker in self.running() if self._mid_shard(worker)]
                if not in_shards:
                    return
                victim = self.draws.choice(in_shards)
                victim.process.kill()
                replacement = await self.start(victim.first)
                assert victim.progress is not None
                begun = f"shard {victim.progress['shard']}, {victim.progress['settled']} settled"
                self.events.append(f"{victim.name} SIGKILLed in {begun} ({at}), {replacement.name} started")
            self.plan.pop(0)

    def _mid_shard(self, worker: Worker) -> bool:
        if worker.progress is None:
            return False
        size = shard_size(self.campaign.messages, worker.progress["shard"], self.campaign.shards)
        return 0 < worker.progress["settled"] < size

    async def run(self, deadline: float) -> CampaignRun:
        """Start the workers, disrupt them, and wait until they are all done."""
        try:
            for index in range(self.campaign.workers):
                await self.start(index * self.campaign.shards // self.campaign.workers)
            while self.running():
                counters = await sandbox_counters(self.base_url)
                self._note_deliveries(counters["deliveries"])
                await self.disrupt(counters["deliveries"] / self.campaign.messages)
                if time.monotonic() - self.started > deadline:
                    await self._stop()
                    raise RuntimeError(f"the campaign was not done in {deadline:g} s:\n{self._logs()}")
                await asyncio.sleep(POLL_INTERVAL)
            seconds = time.monotonic() - self.started
            await asyncio.gather(*self._tasks)
        finally:
            await self._stop()
        counters = await sandbox_counters(self.base_url)
        return CampaignRun(seconds, self._sending[1] - self._sending[0], counters, self.workers, self.events)

    def _note_deliveries(self, deliveries: int) -> None:
        """Keep when the sandbox's deliveries were first seen, and last seen growing."""
        if deliveries > self._delivered:
            now = time.monotonic()
            self._sending = (self._sending[0] or now, now)
            self._delivered = deliveries

    async def _stop(self) -> None:
        """Kill the workers still running, and wait for everything started to end."""
        for worker in self.running():
            worker.process.kill()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _logs(self) -> str:
        return "\n".join(f"{worker.name}: {worker.reports[-3:]}\n{worker.log}" for worker in self.workers)


async def run_campaign(
    campaign: Campaign,
    services: tuple[str, str, str],
    disruptions: Disruptions = Disruptions(),
    restart_database: Callable[[], None] | None = None,
    deadline: float = 150.0,
) -> CampaignRun:
    """Send ``campaign`` with its workers through ``services`` (the sandbox's base URL, the journal's
    DSN, Redis's URL), disrupted as ``disruptions`` says: what happened, once every worker exited (a
    RuntimeError with their logs if they are not done within ``deadline`` seconds)."""
    return await CampaignDriver(campaign, services, disruptions, restart_database).run(deadline)


async def sandbox_counters(base_url: str) -> dict[str, Any]:
    """The counters of a sandbox running in another process (``GET /_sandbox/counters``)."""
    url = base_url.rsplit("/v3", 1)[0] + "/_sandbox/counters"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        counters: dict[str, Any] = await answer.json()
        return counters


@contextlib.contextmanager
def running_sandbox(*flags: str) -> Iterator[str]:
    """``python -m aioclicksend.sandbox --port 0 *flags`` in a child process: its base URL."""
    command = [sys.executable, "-m", "aioclicksend.sandbox", "--port", "0", *flags]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if "listening on " not in line:
                raise RuntimeError(f"the sandbox did not start: {line!r}")
            yield line.split("listening on ", 1)[1].split()[0]
        finally:
            process.terminate()
            process.wait(timeout=30)
