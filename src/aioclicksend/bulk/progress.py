"""A ready progress display for bulk sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .outcomes import BulkSummary

__all__ = ["tqdm_progress"]


def tqdm_progress(total: int | None = None, **tqdm_options: Any) -> Callable[[BulkSummary], None]:
    """An ``on_progress`` callback drawing a terminal progress bar.

    Needs tqdm (``pip install 'aioclicksend[progress]'``); ``tqdm_options`` go to :class:`tqdm.tqdm`.
    """
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("tqdm_progress needs tqdm: pip install 'aioclicksend[progress]'") from None
    bar = tqdm(total=total, unit="msg", unit_scale=True, **tqdm_options)

    def update(summary: BulkSummary) -> None:
        bar.update(summary.settled - bar.n)
        bar.set_postfix(
            accepted=summary.accepted,
            rejected=summary.rejected,
            invalid=summary.invalid,
            unknown=summary.unknown,
            not_sent=summary.not_sent,
            refresh=False,
        )
        if summary.finished:
            bar.close()

    return update
