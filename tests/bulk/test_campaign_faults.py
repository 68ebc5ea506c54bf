"""Proof under faults (issue 22): 4 worker processes send a 100 000-message campaign in shards on one
sandbox account limited to 20 requests a second, their journals in PostgreSQL and their pace shared in
Redis; two of them are SIGKILLed (each replaced by a new worker) and PostgreSQL restarts, mid-run. Every
message reaches the sandbox exactly once, the workers together keep to the account's rate, and every
shard's journal is whole. (tests/campaign.py drives the run; tests/campaign_worker.py is a worker.)
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from aioclicksend import AsyncClickSend, shard, shard_job_id

from ..campaign import Campaign, CampaignRun, Disruptions, run_campaign, running_sandbox, sandbox_counters
from ..campaign_worker import API_KEY, USERNAME, campaign_messages, shard_size, shard_tag
from ..postgres_server import PostgresServer
from ..redis_server import RedisServer

ACCOUNT_RATE = 20
CAMPAIGN = Campaign("spring", messages=100_000, shards=20, workers=4, rate=ACCOUNT_RATE)
DISRUPTIONS = Disruptions(kills=2, database_restarts=1, seed=22)
MOST_429S_PER_WORKER = 2


@pytest.fixture
def rate_limited_sandbox() -> Iterator[str]:
    """A sandbox in a process of its own, answering 429 beyond ``ACCOUNT_RATE`` requests a second."""
    with running_sandbox("--rate-limit", str(ACCOUNT_RATE)) as base_url:
        yield base_url


async def test_a_campaign_survives_killed_workers_and_a_database_restart(
    rate_limited_sandbox: str, postgres: PostgresServer, postgres_dsn: str, redis_server: RedisServer
) -> None:
    services = (rate_limited_sandbox, postgres_dsn, redis_server.url)
    run = await run_campaign(CAMPAIGN, services, DISRUPTIONS, restart_database=postgres.restart)
    print(run.describe())  # (pytest -s or -rP shows it)
    assert_disrupted_as_planned(run)
    assert run.counters["deliveries"] == CAMPAIGN.messages and run.counters["duplicates"] == [], (
        "every message reached the sandbox exactly once"
    )
    assert run.throttled <= MOST_429S_PER_WORKER * len(run.workers), run.describe()
    assert all(worker.throttled <= MOST_429S_PER_WORKER for worker in run.workers), run.describe()
    await assert_every_shard_whole(rate_limited_sandbox, postgres_dsn)


def assert_disrupted_as_planned(run: CampaignRun) -> None:
    """Two workers killed in the middle of a shard and replaced, the database restarted under jobs."""
    exits = sorted(worker.process.returncode or 0 for worker in run.workers)
    assert exits == [-signal.SIGKILL] * 2 + [0] * 4, run.describe()
    assert len(run.events) == 3, run.describe()
    assert any("connection lost" in worker.log for worker in run.workers), "a job waited out the restart"


async def assert_every_shard_whole(base_url: str, dsn: str) -> None:
    """Each shard resumed once more from its journal: nothing sent, every message accepted."""
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        for index in range(CAMPAIGN.shards):
            summary = await cs.sms.send_bulk(
                shard(campaign_messages(CAMPAIGN.messages), index, CAMPAIGN.shards),
                journal=dsn,
                job_id=shard_job_id(CAMPAIGN.name, index, CAMPAIGN.shards),
                tag=shard_tag(CAMPAIGN.name, index),
                batch_size=CAMPAIGN.batch_size,
            )
            size = shard_size(CAMPAIGN.messages, index, CAMPAIGN.shards)
            assert summary.accepted == summary.resumed == size, f"shard {index}: {summary}"
            assert summary.requests == 0 and summary.stopped is None, f"shard {index}: {summary}"
    assert (await sandbox_counters(base_url))["deliveries"] == CAMPAIGN.messages, "nothing sent again"
