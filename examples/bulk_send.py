"""Send 100 000 SMS with send_bulk: a progress bar, a summary, and an exact outcome for every message.

Runs against whatever CLICKSEND_BASE_URL / CLICKSEND_USERNAME / CLICKSEND_API_KEY point at:
`nox -s demo` points them at the embedded sandbox. Ctrl-C stops taking new messages and lets the
batches already formed finish; a second Ctrl-C cancels at once (every message is still accounted for).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator

from aioclicksend import AsyncClickSend, Outcome, OutcomeKind, models, tqdm_progress
from aioclicksend.params import SmsMessageParam

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def messages() -> Iterator[SmsMessageParam]:
    """Read lazily, as from a database cursor: every 500th number is malformed, every 2000th body empty."""
    for number in range(TOTAL):
        yield {
            "to": "+61400" if number % 500 == 250 else f"+614{number:08d}",
            "body": "" if number % 2000 == 1999 else f"Your code is {number % 10_000:04d}",
        }


async def main() -> None:
    async with AsyncClickSend() as cs:
        job = cs.sms.send_bulk(messages(), concurrency=4, on_progress=tqdm_progress(total=TOTAL))
        this_task = asyncio.current_task()
        assert this_task is not None

        def interrupt() -> None:  # first Ctrl-C: stop gracefully; second: cancel now
            if job.summary.stopped is None:
                job.stop("stopped by Ctrl-C")
            else:
                this_task.cancel()

        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' default loop
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, interrupt)
        examples: dict[OutcomeKind, Outcome[models.SentSms]] = {}
        try:
            async for outcome in job:
                examples.setdefault(outcome.kind, outcome)  # a real job would store each outcome
        except asyncio.CancelledError:
            pass  # the job has accounted for every message it took: report them below
        summary = job.summary

    print(summary)
    for status, count in summary.statuses.most_common():
        print(f"  ClickSend status {status:<20} {count:>7}")
    for kind in (OutcomeKind.REJECTED, OutcomeKind.INVALID):
        if kind in examples:
            example = examples[kind]
            print(f"  e.g. {kind.value}: message #{example.index}: {example.reason or example.status}")
    if summary.stopped:
        print(f"stopped early: {summary.stopped}")
    if summary.unknown:
        print(f"{summary.unknown} messages may have been sent: reconcile them with job.reconcile()")


if __name__ == "__main__":
    asyncio.run(main())
