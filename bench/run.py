"""Benchmarks of aioclicksend against the sandbox in its own process, over loopback. Prints one table.

    nox -s bench                      # or: python bench/run.py [--messages 50000] [--rss-messages 1000000]

1. Bulk SMS throughput and client CPU per 1000 messages (median of 3 runs), 20 ms added latency:
   aioclicksend's send_bulk (batches of 1000, concurrency 8) vs a bare aiohttp loop POSTing the same
   bodies at the same concurrency (the transport limit) vs the official ``clicksend-client`` SDK
   (``SmsApi.send_sms`` in a loop, per batch of 1000 and per message as its docs show; its raw variant,
   since its models refuse the documented answer).
2. Peak RSS of a process sending 1 000 000 messages with send_bulk, fed from a generator.
3. Import time (median of fresh interpreters) vs ``import aiohttp, pydantic`` and ``import clicksend``.
4. Iterating 10 000 history items (100 pages of 100) at 50 ms latency: page by page vs prefetch.

Numbers are from one run on this machine: compare the ratios, not the absolute values.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp

from aioclicksend import AsyncClickSend

USERNAME, API_KEY = "bench", "bench-key"
CONCURRENCY = 8
BATCH = 1000
HERE = Path(__file__).resolve().parent


def messages(count: int) -> Iterator[dict[str, Any]]:
    return ({"to": f"+614{i % 10**8:08d}", "body": f"Your code is {i:06d}"} for i in range(count))


@contextlib.contextmanager
def sandbox(latency_ms: float) -> Iterator[str]:
    """A sandbox in a child process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aioclicksend.sandbox", "--port", "0", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


class Measure:
    """Wall and CPU time of this process over a block."""

    def __enter__(self) -> Measure:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


async def run_aioclicksend(base_url: str, count: int) -> tuple[Measure, int]:
    async with AsyncClickSend(USERNAME, API_KEY, base_url=base_url) as cs:
        with Measure() as measure:
            summary = await cs.sms.send_bulk(
                messages(count), concurrency=CONCURRENCY, batch_size=BATCH, tag="bench"
            )
    return measure, summary.accepted


async def run_bare_aiohttp(base_url: str, count: int) -> tuple[Measure, int]:
    """The same POSTs with nothing on top: the same bodies (custom_string as send_bulk sets it)."""
    headers = {"Authorization": aiohttp.encode_basic_auth(USERNAME, API_KEY)}
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


def throughput(count: int, official_count: int, rounds: int) -> list[tuple[str, str, str]]:
    """Each run on a fresh sandbox (a sandbox slows down as its history grows), after a warm-up; the
    contenders take turns, ``rounds`` times, and each is given its median run."""
    contenders = {
        "aioclicksend send_bulk": (count, lambda url, n: asyncio.run(run_aioclicksend(url, n))),
        "bare aiohttp loop, same POSTs": (count, lambda url, n: asyncio.run(run_bare_aiohttp(url, n))),
        "official SDK, send_sms per batch of 1000": (count, run_official_sdk),
    }
    runs: dict[str, list[Measure]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (messages_sent, runner) in contenders.items():
            runs[name].append(timed_run(name, messages_sent, runner))
    name = "official SDK, send_sms per message (its docs)"
    runs[name] = [timed_run(name, official_count, run_official_sdk_per_message)]
    sizes = {name: count for name in contenders} | {name: official_count}
    rates = {}
    rows = []
    for name, measures in runs.items():
        median = sorted(measures, key=lambda measure: measure.wall)[len(measures) // 2]
        rates[name] = sizes[name] / median.wall
        cpu = 1000 * median.cpu / (sizes[name] / 1000)
        rows.append((f"bulk SMS, {name}", f"{rates[name]:,.0f} msg/s; {cpu:.1f} ms CPU per 1000"))
    ours = rates["aioclicksend send_bulk"]
    return [
        (label, result, "1.00x" if rate == ours else f"aioclicksend is {ours / rate:.2f}x")
        for (label, result), rate in zip(rows, rates.values(), strict=True)
    ]


def timed_run(name: str, count: int, runner: Callable[[str, int], tuple[Measure, int]]) -> Measure:
    with sandbox(latency_ms=20) as base_url:
        runner(base_url, min(count, 2 * BATCH))
        measure, accepted = runner(base_url, count)
    if accepted != count:
        raise RuntimeError(f"{name}: {accepted} of {count} messages accepted")
    return measure


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


def import_seconds(statement: str, runs: int = 9) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def import_times() -> list[tuple[str, str, str]]:
    base = import_seconds("import aiohttp, pydantic")
    rows = [("import aiohttp, pydantic", f"{base * 1000:.0f} ms", "1.00x (reference)")]
    for statement in ("import aioclicksend", "from aioclicksend import AsyncClickSend", "import clicksend"):
        seconds = import_seconds(statement)
        rows.append((statement, f"{seconds * 1000:.0f} ms", f"{seconds / base:.2f}x"))
    return rows


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


def paging() -> list[tuple[str, str, str]]:
    with sandbox(latency_ms=50) as base_url:
        return asyncio.run(walk_history(base_url))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000, help="messages per throughput run")
    parser.add_argument(
        "--official-messages", type=int, default=500, help="messages of the one-call-per-message run"
    )
    parser.add_argument("--rss-messages", type=int, default=1_000_000, help="messages of the memory run")
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per contender (median)")
    arguments = parser.parse_args()
    os.environ.pop("CLICKSEND_BASE_URL", None)
    rows = [
        *throughput(arguments.messages, arguments.official_messages, arguments.rounds),
        peak_rss(arguments.rss_messages),
        *import_times(),
        *paging(),
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
