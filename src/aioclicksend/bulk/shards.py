"""One campaign split into shards that any worker can run and resume: the same input gives every worker
the same shards, each a job of its own in a shared journal (``job_id=shard_job_id(campaign, index, count)``).

A shard takes every ``count``-th message from ``index`` on, so it needs no count of the input beforehand
(a generator, a database cursor, a CSV file read lazily) and the shards stay about the same size; run
again on the same input, a shard is the same messages in the same order, which is what resuming it from
its journal needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from .._core.exceptions import RequestValidationError

__all__ = ["shard", "shard_job_id"]

_T = TypeVar("_T")


def shard(messages: Iterable[_T], index: int, count: int) -> Iterator[_T]:
    """Shard ``index`` of ``count`` of ``messages``: the messages at input positions ``index``,
    ``index + count``, ``index + 2 * count``…"""
    _check(index, count)
    return islice(messages, index, None, count)


def shard_job_id(campaign: str, index: int, count: int) -> str:
    """The job id of shard ``index`` of ``count`` of ``campaign`` in a journal,
    ``<campaign>/<index>-of-<count>``: the count is in it, so the same campaign split another way is other
    jobs, never a resume of these."""
    _check(index, count)
    if not isinstance(campaign, str) or not campaign:
        raise RequestValidationError("shard_job_id", [f"campaign: must be a non-empty str, not {campaign!r}"])
    return f"{campaign}/{index}-of-{count}"


def _check(index: Any, count: Any) -> None:
    whole = all(isinstance(value, int) and not isinstance(value, bool) for value in (index, count))
    if not (whole and count >= 1 and 0 <= index < count):
        problem = f"shard {index!r} of {count!r}: the index must be 0 to count - 1, and the count 1 or more"
        raise RequestValidationError("shard", [problem])
