"""Send N messages with send_bulk from a generator; print peak RSS (JSON). Run by bench/run.py."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from run import CONCURRENCY, messages  # this directory is on the path when run as bench/rss.py

from aioclicksend import AsyncClickSend


def peak_rss_kb() -> int:
    """This process's own peak RSS. On Linux VmHWM: ru_maxrss would carry over the peak of the process
    that started this one (the kernel keeps it across exec), counting the bench runner's memory too."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def main(base_url: str, count: int) -> None:
    started = time.perf_counter()
    async with AsyncClickSend("bench", "bench-key", base_url=base_url) as cs:
        accepted = 0
        async for outcome in cs.sms.send_bulk(messages(count), concurrency=CONCURRENCY):
            accepted += outcome.kind.value == "accepted"
    seconds = time.perf_counter() - started
    print(json.dumps({"peak_rss_mb": peak_rss_kb() / 1024, "accepted": accepted, "seconds": seconds}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
