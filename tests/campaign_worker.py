"""One worker of a campaign sent in shards, as a job system's worker process runs it (started by
tests/campaign.py for tests/bulk/test_campaign_faults.py and bench/run.py):

    python -m tests.campaign_worker BASE_URL DSN REDIS_URL CAMPAIGN MESSAGES SHARDS FIRST [--rate R] ...

It runs every shard of the campaign with its journal in PostgreSQL, paced with the other workers by a
RedisThrottle, starting at shard FIRST and going round: a shard held by another worker (or a journal out
of reach) is tried again later; a shard is done for this worker once a run of it ends whole (all its
messages accepted, whether sent now or resumed from the journal). It prints a JSON line per run of a
shard (what :func:`shard_report` says) and one after each batch (the shard and its messages settled so
far), and exits 0 when every shard is done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from aioclicksend import AsyncClickSend, BulkSummary, JournalError, shard, shard_job_id
from aioclicksend.params import SmsMessageParam
from aioclicksend.throttle import RedisThrottle

__all__ = ["campaign_messages", "shard_size", "shard_tag"]

USERNAME, API_KEY = "campaign", "campaign-key"
HISTORY_LAG = 3.0
"""Seconds before a killed worker's unanswered batch is looked up in the history: a request the sandbox
was still carrying out when its worker died is listed by then (the default, 10 s, is for ClickSend)."""
RETRY_PAUSE = 0.2
"""Seconds between tries of a shard that another worker holds."""


def campaign_messages(count: int) -> Iterator[SmsMessageParam]:
    """The campaign's input: the same messages in the same order for every worker."""
    return ({"to": f"+614{i:08d}", "body": f"Campaign message {i}"} for i in range(count))


def shard_size(messages: int, index: int, count: int) -> int:
    return len(range(index, messages, count))


def shard_tag(campaign: str, index: int) -> str:
    """The ``custom_string`` prefix of a shard's messages: unique across the campaign, so the sandbox
    counts each message apart."""
    return f"{campaign}-{index}"


def shard_report(index: int, size: int, summary: BulkSummary) -> dict[str, Any]:
    """A run of a shard as the worker prints it: ``whole`` when every message of it is accepted."""
    return {
        "shard": index,
        "whole": summary.stopped is None and summary.accepted == size,
        "accepted": summary.accepted,
        "resumed": summary.resumed,
        "requests": summary.requests,
        "throttled": summary.throttled,
        "stopped": summary.stopped,
    }


async def run_shard(cs: AsyncClickSend, settings: argparse.Namespace, index: int) -> dict[str, Any]:
    total, count = settings.messages, settings.shards
    try:
        summary = await cs.sms.send_bulk(
            shard(campaign_messages(total), index, count),
            journal=settings.dsn,
            job_id=shard_job_id(settings.campaign, index, count),
            tag=shard_tag(settings.campaign, index),
            batch_size=settings.batch_size,
            concurrency=settings.concurrency,
            history_lag=HISTORY_LAG,
            on_progress=lambda summary: print_line({"shard": index, "settled": summary.settled}),
        )
    except JournalError as error:  # held by another worker, or the database restarting
        return {"shard": index, "whole": False, "refused": str(error)}
    return shard_report(index, shard_size(total, index, count), summary)


def print_line(report: dict[str, Any]) -> None:
    print(json.dumps(report), flush=True)


async def run_worker(settings: argparse.Namespace) -> None:
    rate = settings.rate or None
    pending = deque((settings.first + offset) % settings.shards for offset in range(settings.shards))
    async with (
        RedisThrottle(settings.redis_url, key=f"{settings.campaign}-account", rate=rate) as throttle,
        AsyncClickSend(USERNAME, API_KEY, base_url=settings.base_url, hooks=[throttle]) as cs,
    ):
        while pending:
            index = pending.popleft()
            report = await run_shard(cs, settings, index)
            print_line(report)
            if not report["whole"]:
                pending.append(index)
                await asyncio.sleep(RETRY_PAUSE)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.campaign_worker", description=__doc__)
    for name in ("base_url", "dsn", "redis_url", "campaign"):
        parser.add_argument(name)
    for name in ("messages", "shards", "first"):
        parser.add_argument(name, type=int)
    parser.add_argument("--rate", type=float, default=0.0, help="the account's requests a second (0: none)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4, help="batches in flight at once")
    logging.basicConfig(format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    asyncio.run(run_worker(parser.parse_args()))


if __name__ == "__main__":
    main()
