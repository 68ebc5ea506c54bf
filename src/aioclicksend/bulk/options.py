"""The settings of a bulk send: the keyword arguments every ``send_bulk`` takes, checked once."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .._core.client import Timeout
from .._core.types import NOT_GIVEN, NotGiven
from .._core.validation import retries_problem, timeout_problem
from .journal import JournalStore
from .outcomes import BulkSummary

__all__ = ["BulkOptions", "Settings"]


class BulkOptions(TypedDict, total=False):
    """Settings of a bulk send (keyword arguments of every ``send_bulk``)."""

    concurrency: int
    """Batches in flight at once (default 4)."""
    max_rate: float | None
    """Most requests a second (default: no limit until ClickSend answers 429)."""
    batch_size: int
    """Messages per request (default and most: 1000)."""
    max_retries: int
    """Retries of a batch after a 429 or a connection that never carried it (default 8)."""
    timeout: Timeout | NotGiven
    """Timeout of each request (default: the client's)."""
    on_progress: Callable[[BulkSummary], object] | None
    """Called with the running :class:`BulkSummary` after each batch, and once at the end."""
    tag: str | None
    """Prefix of the ``custom_string`` given to messages without one (default: 8 random hex digits)."""
    allow_truncation: bool
    """Send texts longer than ClickSend sends whole (default: refuse them as invalid)."""
    journal: str | os.PathLike[str] | JournalStore | None
    """Record the job there (a SQLite file's path, a ``postgresql://`` DSN, or a store), so that running it
    again finishes it."""
    job_id: str | None
    """The job's name in the journal (default: the send's name, e.g. ``sms.send``)."""
    history_lag: float
    """When resuming, how long after an unanswered batch was sent to wait before looking it up in the
    channel's history, which may list a message some seconds after it is sent (default 10)."""


@dataclass(frozen=True)
class Settings:
    """The options a job runs with: what was given, else the defaults."""

    concurrency: int
    batch_size: int
    max_retries: int
    timeout: Timeout | NotGiven
    on_progress: Callable[[BulkSummary], object] | None
    tag: str
    allow_truncation: bool
    history_lag: float

    @classmethod
    def read(cls, options: Mapping[str, Any], max_batch: int) -> tuple[Settings, list[str]]:
        """The settings, and what is wrong with the options (a line each)."""
        settings = cls(
            concurrency=options.get("concurrency", 4),
            batch_size=options.get("batch_size", max_batch),
            max_retries=options.get("max_retries", 8),
            timeout=options.get("timeout", NOT_GIVEN),
            on_progress=options.get("on_progress"),
            tag=options.get("tag") or secrets.token_hex(4),
            allow_truncation=options.get("allow_truncation", False),
            history_lag=options.get("history_lag", 10.0),
        )
        unknown = sorted(set(options) - set(BulkOptions.__annotations__))
        problems = [f"unknown options: {unknown}"] if unknown else []
        problems += settings._problems(max_batch)
        return settings, problems

    def _problems(self, max_batch: int) -> list[str]:
        timeout_wrong = None if isinstance(self.timeout, NotGiven) else timeout_problem(self.timeout)
        checks = [
            (
                _is_int(self.concurrency) and self.concurrency >= 1,
                f"concurrency: must be 1 or more, not {self.concurrency!r}",
            ),
            (
                _is_int(self.batch_size) and 1 <= self.batch_size <= max_batch,
                f"batch_size: must be 1 to {max_batch}, not {self.batch_size!r}",
            ),
            (not timeout_wrong, str(timeout_wrong)),
            (not retries_problem(self.max_retries), str(retries_problem(self.max_retries))),
            (
                self.on_progress is None or callable(self.on_progress),
                f"on_progress: must be callable, not {type(self.on_progress).__name__}",
            ),
            (isinstance(self.tag, str), f"tag: must be a str, not {type(self.tag).__name__}"),
            (
                isinstance(self.history_lag, (int, float)) and 0 <= self.history_lag < math.inf,
                f"history_lag: must be 0 or more seconds, not {self.history_lag!r}",
            ),
            (
                isinstance(self.allow_truncation, bool),
                f"allow_truncation: must be True or False, not {self.allow_truncation!r}",
            ),
        ]
        return [problem for holds, problem in checks if not holds]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
