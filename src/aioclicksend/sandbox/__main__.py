"""``python -m aioclicksend.sandbox``: run the local ClickSend until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._faults import Faults
from ._server import SandboxServer


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m aioclicksend.sandbox", description="A local ClickSend REST API v3."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default: 8080)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second per account before 429"
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 5xx, not carried out"
    )
    parser.add_argument(
        "--error-after-rate", type=float, default=0.0, help="share of requests carried out, then answered 5xx"
    )
    parser.add_argument(
        "--drop-rate", type=float, default=0.0, help="share of requests carried out, then dropped"
    )
    parser.add_argument(
        "--spike-rate", type=float, default=0.0, help="share of requests carried out, then answered late"
    )
    parser.add_argument("--spike-ms", type=float, default=0.0, help="how late a spiked answer comes")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault draws")
    return parser.parse_args(argv)


async def serve(host: str, port: int, faults: Faults) -> None:
    async with SandboxServer(host, port, faults=faults) as server:
        print(
            f"ClickSend sandbox listening on {server.base_url} (any username and API key; Ctrl-C stops it)",
            flush=True,
        )
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    try:
        faults = Faults(
            latency_ms=arguments.latency_ms,
            rate_limit=arguments.rate_limit,
            error_rate=arguments.error_rate,
            error_after_rate=arguments.error_after_rate,
            drop_rate=arguments.drop_rate,
            spike_rate=arguments.spike_rate,
            spike_ms=arguments.spike_ms,
            seed=arguments.seed,
        )
    except ValueError as error:
        raise SystemExit(f"aioclicksend sandbox: {error}") from None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.host, arguments.port, faults))


if __name__ == "__main__":
    main()
