"""Send 10 000 SMS in batches of 1000 (ClickSend's maximum per call), with progress and a summary.

Runs against whatever CLICKSEND_BASE_URL / CLICKSEND_USERNAME / CLICKSEND_API_KEY point at:
`nox -s demo` points them at the embedded sandbox.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from decimal import Decimal

from aioclicksend import AsyncClickSend, ClickSendError

TOTAL = 10_000
BATCH = 1000  # the most one POST /sms/send takes
CONCURRENCY = 4


def messages() -> list[dict[str, str]]:
    """The job: every 500th number is malformed, to show a per-recipient rejection."""
    return [
        {
            "to": "+61400" if number % 500 == 0 else f"+614{number:08d}",
            "body": f"Your code is {number % 10_000:04d}",
            "custom_string": f"job-42/{number}",
        }
        for number in range(TOTAL)
    ]


class Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        filled = int(30 * self.done / self.total)
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done:>6}/{self.total} messages  {rate:,.0f}/s"
        print(
            "\r" + line if sys.stdout.isatty() else line, end="" if sys.stdout.isatty() else "\n", flush=True
        )


async def main() -> None:
    job = messages()
    batches = [job[start : start + BATCH] for start in range(0, len(job), BATCH)]
    statuses: Counter[str] = Counter()
    cost = Decimal(0)
    failed_batches = 0
    progress = Progress(len(job))
    limit = asyncio.Semaphore(CONCURRENCY)

    async with AsyncClickSend() as cs:

        async def send(batch: list[dict[str, str]]) -> None:
            nonlocal cost, failed_batches
            async with limit:
                try:
                    result = await cs.sms.send(messages=batch)
                except ClickSendError as error:  # nothing resent blindly: reported for reconciliation
                    failed_batches += 1
                    statuses[f"batch failed: {type(error).__name__}"] += len(batch)
                else:
                    statuses.update(message.status or "?" for message in result.messages or [])
                    cost += result.total_price or 0
            progress.advance(len(batch))

        started = time.monotonic()
        await asyncio.gather(*(send(batch) for batch in batches))
        elapsed = time.monotonic() - started
        history = await cs.sms.history.list(limit=15)

    print()
    print(
        f"sent {len(job)} messages in {len(batches)} requests in {elapsed:.2f}s ({len(job) / elapsed:,.0f}/s)"
    )
    for status, count in statuses.most_common():
        print(f"  {status:<22} {count:>6}")
    print(f"  total cost             {cost:>10.4f}")
    print(f"  SMS history now holds  {history.total:>6} messages")
    if failed_batches:
        raise SystemExit(f"{failed_batches} batches failed")


if __name__ == "__main__":
    asyncio.run(main())
