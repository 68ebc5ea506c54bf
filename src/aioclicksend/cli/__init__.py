"""``aioclicksend``: the command line. Send a CSV in bulk (resumable), one SMS, prices, history,
contacts; run the sandbox.

Built on click (a maintained, dependency-free CLI toolkit: nested command groups, environment-variable
options, complete ``--help``, a test runner and a progress bar; typer would add a layer over it).
Credentials come from ``--username`` / ``--api-key`` or ``CLICKSEND_USERNAME`` / ``CLICKSEND_API_KEY``
(``--base-url`` / ``CLICKSEND_BASE_URL`` for the sandbox). Every error is one line on stderr and a
non-zero exit: 1 when something did not go as asked (``bulk``: a message ended unknown or not sent),
2 for bad input; 141, quietly, when the reader of the output has gone (``| head``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from ._bulk import bulk
from ._common import reader_gone
from ._contacts import contacts
from ._sandbox import sandbox
from ._sms import sms

__all__ = ["cli", "main"]


class _Commands(click.Group):
    """The command group; output to a reader that has gone (``| head``) ends the command quietly."""

    def invoke(self, context: click.Context) -> Any:
        try:
            return super().invoke(context)
        except BrokenPipeError:
            reader_gone()


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.option("--username", envvar="CLICKSEND_USERNAME", help="API username (or CLICKSEND_USERNAME).")
@click.option("--api-key", envvar="CLICKSEND_API_KEY", help="API key (or CLICKSEND_API_KEY).")
@click.option(
    "--base-url",
    envvar="CLICKSEND_BASE_URL",
    help="API address, e.g. the sandbox's http://127.0.0.1:8080/v3 (or CLICKSEND_BASE_URL).",
)
def cli(username: str | None, api_key: str | None, base_url: str | None) -> None:
    """ClickSend from the command line: bulk sends from CSV (resumable), SMS, contacts, the sandbox."""
    # The client's retries, slow-downs and resuming are logged at INFO: worth a line on stderr here.
    logger = logging.getLogger("aioclicksend")
    if not any(isinstance(handler, _ClientLog) for handler in logger.handlers):
        logger.addHandler(_ClientLog())
        logger.setLevel(logging.INFO)


class _ClientLog(logging.StreamHandler):  # type: ignore[type-arg]
    """The client's own log lines (not the sandbox's, when it runs in the same process), on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("aioclicksend: %(message)s"))
        self.addFilter(lambda record: record.name == "aioclicksend")

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # the stderr of now (a test runner swaps it)
        super().emit(record)


for group in (sms, bulk, contacts, sandbox):
    cli.add_command(group)


def main() -> None:
    cli(prog_name="aioclicksend")
