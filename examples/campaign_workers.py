"""One campaign sent by many worker processes: a saq task a shard, its journal in PostgreSQL, a pace in Redis.

    python examples/campaign_workers.py worker         # as many as you like, on as many machines
    python examples/campaign_workers.py enqueue spring-sale --messages 20000 --shards 8 --wait

``enqueue`` splits the campaign into shard tasks on a saq queue in Redis. Each worker takes one task at a
time and sends its shard with ``send_bulk``: the messages ``shard(campaign_messages(...), index, count)``,
the journal a :class:`~aioclicksend.journal.PostgresJournal`, the job id ``shard_job_id(...)``, and a client
paced by a :class:`~aioclicksend.throttle.RedisThrottle` that every worker of the account shares. A worker
killed mid-shard (SIGKILL, a lost machine) stops the heartbeat of its task: saq's sweep finds the task
stuck and queues it again, and the worker that takes it resumes the shard from the journal. Nothing is
sent twice: the dead worker's PostgreSQL session, and with it its lock on the shard, ended with it, and
what it had sent is in the journal (what was in flight is looked up in ClickSend's history).

Why saq (https://github.com/tobymao/saq) rather than arq, both asyncio-native queues on Redis:
- re-delivery of a dead worker's task in seconds, however long a shard runs: a saq task has a
  ``heartbeat`` (the worker touches it every third of it here) and any worker's sweep retries a task
  not touched for that long. arq runs a task again only once its in-progress key expires,
  ``job_timeout + 10`` seconds after it started, and ``job_timeout`` must cover the longest shard (arq
  cancels a task that runs longer): the shard of a dead worker waits as long as a shard may run.
- maintained, and it fits: saq has regular releases; arq 0.28 requires redis-py < 6, which
  ``aioclicksend[redis]`` (redis-py 8) cannot share a process with. (saq needs only croniter; its own
  ``[redis]`` extra asks for redis-py < 8, but it runs on redis-py 8, as this example's test shows.)

Settings from the environment: ``CLICKSEND_BASE_URL``, ``CLICKSEND_USERNAME``, ``CLICKSEND_API_KEY`` (as
for any client; ``aioclicksend-sandbox`` is a local ClickSend), ``REDIS_URL`` (the queue and the
throttle) and ``JOURNAL_DSN`` (``postgresql://...``, the workers').
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from collections.abc import Iterator

from redis.exceptions import RedisError
from saq import Job, Queue, Status, Worker
from saq.types import Context

from aioclicksend import AsyncClickSend, ClickSendError, shard, shard_job_id
from aioclicksend.journal import PostgresJournal
from aioclicksend.params import SmsMessageParam
from aioclicksend.throttle import RedisThrottle

TASK = "send_shard"
RETRIES = 20
"""Runs a shard task may have: its worker died, or the journal says another worker still holds the shard
(a task swept by mistake runs twice: the second run waits, up to 1 s, 2 s, 4 s... 15 s between runs)."""


class ShardContext(Context, total=False):
    """What a worker's tasks share: its client (paced by the account's RedisThrottle) and settings."""

    clicksend: AsyncClickSend
    journal_dsn: str
    history_lag: float


class ShardUnfinished(Exception):
    """A shard ended with messages not sent or of unknown fate: saq runs its task again (a resume)."""


def campaign_messages(campaign: str, total: int) -> Iterator[SmsMessageParam]:
    """The campaign's messages, the same on every worker (as from a database query with an ORDER BY);
    each custom string names its message, for the history lookups of a resume and for your replies."""
    for number in range(total):
        yield {
            "to": f"+614{number:08d}",
            "body": f"Spring sale: 20% off until Sunday (offer {number})",
            "custom_string": f"{campaign}-{number}",
        }


async def send_shard(
    context: ShardContext, *, campaign: str, total: int, index: int, count: int, batch_size: int
) -> dict[str, int]:
    """The task: send shard ``index`` of ``count``, or resume it from the journal. Returns its summary."""
    heartbeat = asyncio.create_task(_touch_every(context["job"]))
    journal = PostgresJournal(context["journal_dsn"])
    try:
        job = context["clicksend"].sms.send_bulk(
            shard(campaign_messages(campaign, total), index, count),
            journal=journal,
            job_id=shard_job_id(campaign, index, count),
            batch_size=batch_size,
            history_lag=context["history_lag"],
        )
        summary = await job
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)  # (a heartbeat lost: the task may run again)
        await journal.close()
    if summary.not_sent or summary.unknown:
        raise ShardUnfinished(f"{shard_job_id(campaign, index, count)}: {summary}")
    counts = ("handed_out", "accepted", "rejected", "invalid", "resumed", "requests", "throttled")
    return {name: getattr(summary, name) for name in counts}


async def _touch_every(job: Job) -> None:
    """The task's heartbeat: touched three times within each ``job.heartbeat`` seconds."""
    while True:
        await asyncio.sleep(job.heartbeat / 3)
        await job.update()


async def enqueue(
    queue: Queue, campaign: str, total: int, count: int, *, batch_size: int = 1000, heartbeat: int = 10
) -> list[str]:
    """Queue the campaign's ``count`` shard tasks (again: a no-op for the tasks saq still knows).
    Returns their keys: the shards' job ids."""
    keys = [shard_job_id(campaign, index, count) for index in range(count)]
    for index, key in enumerate(keys):
        arguments = dict(campaign=campaign, total=total, index=index, count=count, batch_size=batch_size)
        task = Job(TASK, arguments, key=key, timeout=0, heartbeat=heartbeat, retries=RETRIES)
        task.retry_delay, task.retry_backoff = 1.0, 15.0
        await queue.enqueue(task)
    return keys


async def wait_for_shards(queue: Queue, keys: list[str], *, poll: float = 0.5) -> dict[str, Job]:
    """The shard tasks once every one has ended (complete, failed or aborted)."""
    ended = {Status.COMPLETE, Status.FAILED, Status.ABORTED}
    while True:
        tasks = {key: await queue.job(key) for key in keys}
        lost = [key for key, task in tasks.items() if task is None]
        if lost:
            raise LookupError(f"the queue no longer knows the tasks {lost}: enqueue the campaign again")
        if all(task is not None and task.status in ended for task in tasks.values()):
            return {key: task for key, task in tasks.items() if task is not None}
        await asyncio.sleep(poll)


async def work(queue: Queue, *, rate: float | None, sweep_every: int, history_lag: float) -> None:
    """Take shard tasks, one at a time, until SIGINT or SIGTERM (after which the current one ends)."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    async with (
        RedisThrottle(redis_url, rate=rate) as throttle,
        AsyncClickSend(hooks=[throttle]) as clicksend,
    ):
        await throttle.check()  # a clear error now if Redis is not there

        async def startup(context: ShardContext) -> None:
            context["clicksend"] = clicksend
            context["journal_dsn"] = _journal_dsn()
            context["history_lag"] = history_lag
            # The first sweep before the first task: saq sweeps at once as a worker starts, and a sweep
            # that falls between a worker taking a task and marking it active retries that healthy task
            # (saq issue 277). This one holds the sweep's lock for the next ``sweep_every`` seconds.
            await queue.sweep(sweep_every)

        worker = Worker[ShardContext](
            queue,
            functions=[(TASK, send_shard)],
            id=f"{socket.gethostname()}:{os.getpid()}",
            concurrency=1,
            startup=startup,
            timers={
                "sweep": sweep_every,
                "schedule": 1,
                "abort": 1,
                "worker_info": 10,
            },  # (saq's but the sweep)
        )
        await queue.connect()
        try:
            await worker.start()
        finally:
            await queue.disconnect()


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number, 1 or more")
    return int(text)


def _journal_dsn() -> str:
    dsn = os.environ.get("JOURNAL_DSN", "")
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise SystemExit("set JOURNAL_DSN to the journal's database: postgresql://user:password@host/db")
    return dsn


async def main(arguments: argparse.Namespace) -> None:
    queue = Queue.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), name=arguments.queue)
    if arguments.command == "worker":
        _journal_dsn()
        await work(
            queue,
            rate=arguments.rate,
            sweep_every=arguments.sweep_every,
            history_lag=arguments.history_lag,
        )
        return
    await queue.connect()
    try:
        keys = await enqueue(
            queue,
            arguments.campaign,
            arguments.messages,
            arguments.shards,
            batch_size=arguments.batch_size,
            heartbeat=arguments.heartbeat,
        )
        print(f"{len(keys)} shard tasks queued on {arguments.queue!r}")
        if arguments.wait:
            for key, task in (await wait_for_shards(queue, keys)).items():
                print(f"{key}: {task.status.value} after {task.attempts} run(s): {task.result or task.error}")
    finally:
        await queue.disconnect()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--queue", default="campaigns", help="the saq queue's name (default: campaigns)")
    commands = top.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="take shard tasks and send them")
    worker.add_argument("--rate", type=float, help="most requests a second for the account, all workers")
    worker.add_argument(
        "--sweep-every", type=_positive, default=5, help="seconds between looks for dead tasks"
    )
    worker.add_argument(
        "--history-lag", type=float, default=10.0, help="on a resume, seconds to let the history catch up"
    )
    campaign = commands.add_parser("enqueue", help="queue a campaign's shard tasks")
    campaign.add_argument("campaign", help="the campaign's name (its shards' job ids start with it)")
    campaign.add_argument("--messages", type=_positive, default=20_000, help="how many (default: 20000)")
    campaign.add_argument("--shards", type=_positive, default=8, help="how many shard tasks (default: 8)")
    campaign.add_argument(
        "--batch-size", type=_positive, default=1000, help="messages a request (default: 1000)"
    )
    campaign.add_argument(
        "--heartbeat",
        type=_positive,
        default=10,
        help="seconds without a sign of life before a task is retried (default: 10; keep it above twice "
        "saq's 5 s wait for each dead task a sweep finds, on whose start the tasks after it are judged)",
    )
    campaign.add_argument("--wait", action="store_true", help="wait for every shard and show its summary")
    return top


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    try:
        asyncio.run(main(parser().parse_args()))
    except (ClickSendError, RedisError) as error:  # a setting missing or wrong, Redis not there: one line
        raise SystemExit(f"error: {error}") from None
    except KeyboardInterrupt:
        pass
