"""Send N messages with send_bulk from a generator; print peak RSS (JSON). Run by bench/run.py."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from aioclicksend import AsyncClickSend


async def main(base_url: str, count: int) -> None:
    source = ({"to": f"+614{i % 10**8:08d}", "body": f"Your code is {i:06d}"} for i in range(count))
    started = time.perf_counter()
    async with AsyncClickSend("bench", "bench-key", base_url=base_url) as cs:
        accepted = 0
        async for outcome in cs.sms.send_bulk(source, concurrency=8):
            accepted += outcome.kind.value == "accepted"
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {"peak_rss_mb": peak_kb / 1024, "accepted": accepted, "seconds": time.perf_counter() - started}
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
