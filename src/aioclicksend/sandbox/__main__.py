"""``python -m aioclicksend.sandbox``: run the local ClickSend (and Kazoo faxes API) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from ._app import logger
from ._faults import Faults, fault_settings
from ._server import SandboxServer


def _accounts(text: str) -> dict[str, str]:
    """``user:key,user2:key2`` as a mapping of username (or Kazoo account id) to API key."""
    accounts = {}
    for pair in text.split(","):
        username, _, api_key = pair.partition(":")
        if not username or not api_key:
            raise argparse.ArgumentTypeError(f"expected name:key pairs separated by commas, not {pair!r}")
        accounts[username] = api_key
    return accounts


def _seconds(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, not {text!r}")
    return seconds


# long: a list of argument declarations, one per option of the sandbox
def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m aioclicksend.sandbox",
        description="A local ClickSend REST API v3, and Kazoo v2 Faxes API (under /v2) on the same port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default: 8080)"
    )
    for setting in fault_settings():
        parser.add_argument(
            "--" + setting.name.replace("_", "-"),
            type=setting.type,
            default=setting.default,
            help=f"{setting.help} (default: {'off' if setting.default is None else setting.default})",
        )
    parser.add_argument(
        "--accounts",
        type=_accounts,
        default=None,
        metavar="USER:KEY,…",
        help="the only credentials accepted, others get 401 (default: any username and key)",
    )
    parser.add_argument(
        "--kazoo-api-keys",
        type=_accounts,
        default=None,
        metavar="ACCOUNT_ID:KEY,…",
        help="the only Kazoo API keys accepted, each for its account (default: any key, any account)",
    )
    parser.add_argument(
        "--kazoo-transmit-after",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="seconds a Kazoo fax stays in the outgoing queue before it is transmitted (default: 1)",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=10.0,
        help="seconds a client has to send a whole request once begun (default: 10)",
    )
    parser.add_argument(
        "--keepalive-timeout",
        type=float,
        default=75.0,
        help="seconds an idle connection is kept open (default: 75)",
    )
    parser.add_argument(
        "--push-retry-interval",
        type=_seconds,
        default=600.0,
        metavar="SECONDS",
        help="seconds between tries of a push to a URL rule not answered 200 (default: 600, as ClickSend)",
    )
    parser.add_argument(
        "--receipt-delay",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="seconds between a message falling due and its delivery receipt's push (default: 1)",
    )
    parser.add_argument(
        "--allow-remote-pushes",
        action="store_true",
        help="push to URLs of any host, not only loopback ones (127.0.0.1, localhost, ::1)",
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="log a line per request to stderr: method, path, status and milliseconds",
    )
    return parser.parse_args(argv)


async def serve(server: SandboxServer) -> None:
    async with server:
        accounts = server.state.accounts
        who = "accounts " + ", ".join(accounts) if accounts is not None else "any username and API key"
        print(f"ClickSend sandbox listening on {server.base_url} ({who}; Ctrl-C stops it)", flush=True)
        keys = server.kazoo.api_keys
        whose = "accounts " + ", ".join(keys) if keys is not None else "any API key"
        print(f"Kazoo faxes API on {server.kazoo_base_url} ({whose})", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    try:
        faults = Faults(**{setting.name: getattr(arguments, setting.name) for setting in fault_settings()})
    except ValueError as error:
        raise SystemExit(f"aioclicksend sandbox: {error}") from None
    if arguments.log:
        logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
        logger.setLevel(logging.INFO)
    server = SandboxServer(
        arguments.host,
        arguments.port,
        faults=faults,
        accounts=arguments.accounts,
        kazoo_api_keys=arguments.kazoo_api_keys,
        kazoo_transmit_after=arguments.kazoo_transmit_after,
        read_timeout=arguments.read_timeout,
        keepalive_timeout=arguments.keepalive_timeout,
        push_retry_interval=arguments.push_retry_interval,
        receipt_delay=arguments.receipt_delay,
        allow_remote_pushes=arguments.allow_remote_pushes,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(server))


if __name__ == "__main__":
    main()
