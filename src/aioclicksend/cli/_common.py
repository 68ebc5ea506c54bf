"""What every command shares: running the client, one-line errors, text safe for a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from .._client import AsyncClickSend
from .._core.exceptions import ClickSendError

__all__ = ["BadInput", "Failed", "print_json", "run", "terminal_text"]

_T = TypeVar("_T")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Characters a terminal acts on (escape sequences, carriage return, ...) rather than shows."""


def terminal_text(text: str) -> str:
    """``text`` (perhaps a server's) as one line a terminal only shows: a line break or tab becomes a
    space, any other control character its ``\\x..`` escape."""
    return _CONTROL.sub(lambda found: " " if found[0] in "\t\n\r" else ascii(found[0])[1:-1], text)


class Failed(click.ClickException):
    """A one-line error, exit 1: something did not go as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(terminal_text(message))


class BadInput(Failed):
    """A one-line error about an input file, exit 2 (without the usage text of ``click.UsageError``)."""

    exit_code = 2


def run(work: Callable[[AsyncClickSend], Awaitable[_T]], context: click.Context) -> _T:
    """Run ``work`` with a client made from the global options; our errors become one line."""
    options = context.find_root().params

    async def main() -> _T:
        async with AsyncClickSend(
            options["username"], options["api_key"], base_url=options["base_url"]
        ) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except ClickSendError as error:
        raise Failed(str(error)) from None
    except BrokenPipeError:
        reader_gone()
    except OSError as error:
        raise Failed(f"{error}") from None
    except KeyboardInterrupt:
        raise Failed("interrupted: run the same command again to finish the job") from None


def reader_gone() -> NoReturn:
    """The reader of our output has gone (``| head``): end quietly, as a program killed by SIGPIPE does
    (exit 141), with what is still buffered sent nowhere (else Python complains of it on exit)."""
    with contextlib.suppress(OSError, ValueError):  # (no file descriptor: a test runner's stdout)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise click.exceptions.Exit(141)


def print_json(value: Any) -> None:
    model_dump = getattr(value, "model_dump", None)
    click.echo(json.dumps(model_dump(mode="json", by_alias=True) if model_dump else value, default=str))
