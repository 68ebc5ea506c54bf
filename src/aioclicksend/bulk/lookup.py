"""Finding a bulk job's messages in the channel's history by their ``custom_string``, reading as few
pages as the API's filters allow: what resuming a job (and :meth:`BulkJob.reconcile`) costs.

Two ways, the cheap one first:

- **search**: the history's documented ``q`` search, ``q=custom_string:A,custom_string:B`` with
  ``operator=OR``, a few dozen strings a request: pages in proportion to the messages looked up, whatever
  else the account sent. It is trusted only as far as it is seen to work: every request also asks for a
  *witness*, a message of the job ClickSend is known to have (it answered for it, or a search for it alone
  found it); an answer without the witness means the search does not work as documented, and what that
  request asked for is scanned instead.
  Only custom strings of plain characters are searched (a comma or a space could change the query).
- **scan**: every entry of the history between ``date_from`` and ``date_to``, until all are found.

Whatever the way, a message counts as found only when an entry's ``custom_string`` equals its own.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._core.client import BaseClient, RequestOptions, Timeout
from .._core.models import value_given
from .._core.operation import Operation
from .._core.pagination import AsyncPager
from .._core.types import NotGiven
from .outcomes import entries_of

__all__ = ["HistoryLookup", "Window"]

logger = logging.getLogger("aioclicksend")

SEARCH_CHUNK = 40
"""Custom strings one search request asks for (its URL stays under about 2 KB)."""
SEARCHES_AT_ONCE = 4
MOST_PROBES = 8
"""Messages searched for one at a time, when no message of the job is known to be in the history, until
one is found (and witnesses the others' searches): a batch that never reached ClickSend costs one each."""
_SEARCHABLE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}\Z")
_MOST_UNRELATED = 4 * SEARCH_CHUNK
"""Entries a search answer may hold that it was not asked for (a search that matches by prefix or in
part): past these, the search is taken not to filter at all."""
_PROGRESS_EVERY = 2.0
"""Seconds between the INFO lines that tell how a long lookup goes."""


@dataclass(frozen=True)
class Window:
    """The Unix times the history is read between."""

    since: float
    until: float


@dataclass
class HistoryLookup:
    """Looks custom strings up in one channel's history (``history``, a paged list)."""

    client: BaseClient
    history: Operation[Any]
    by_date: bool
    """Whether the history takes ``date_from`` / ``date_to``."""
    timeout: Timeout | NotGiven
    name: str
    """The job's name, for the log."""
    pages: int = 0
    """History pages read so far."""
    found: dict[str, list[Any]] = field(default_factory=dict)
    """The entries of each custom string found so far."""
    search_failed: bool = False
    """Set once an answer of the search lacks the witness, or holds much that was not asked for."""
    _wanted: int = 0
    _logged_at: float = 0.0

    async def find(
        self, customs: Collection[str], window: Window, witness: str | None, probes: Sequence[str] = ()
    ) -> dict[str, list[Any]]:
        """The history entries of each custom string found in ``window`` (absent: not there).
        ``witness``: a custom string of the job's that ClickSend has, if one is known; else one is taken
        from the window's first page of history (anyone's message), else ``probes`` are searched one at a
        time (one per batch looked up) until one is found."""
        self._wanted = len(customs)
        rest = set(customs)
        if self.history.parameter("q") is not None:
            if witness is None or not _SEARCHABLE.match(witness):
                witness = await self._witness_in_history(window)
            if witness is None:
                witness = await self._probe([probe for probe in probes if _SEARCHABLE.match(probe)], window)
            if witness is not None:
                searchable = sorted(custom for custom in rest if _SEARCHABLE.match(custom))
                rest -= await self._search(searchable, window, witness)
                if witness not in customs:  # (a witness from an earlier batch is not asked for)
                    self.found.pop(witness, None)
        if rest:
            await self._scan(rest, window)
        self._progress(force=True)
        return self.found

    async def _witness_in_history(self, window: Window) -> str | None:
        """A searchable custom string of the first page of the window's history (whoever sent it: it
        is in the history, which is all a witness must be)."""
        walk = self._entries(window, {}, prefetch=0)
        try:
            for _ in range(100):  # (one page)
                entry = await anext(walk, None)
                if entry is None:
                    break
                custom = value_given(entry, "custom_string")
                if isinstance(custom, str) and _SEARCHABLE.match(custom):
                    return custom
        finally:
            await walk.aclose()
        return None

    async def _probe(self, probes: list[str], window: Window) -> str | None:
        """The first of ``probes`` a search for it alone finds (then known to work), if any."""
        for probe in probes[:MOST_PROBES]:
            seen = await self._matching(window, [probe])
            if seen is None:
                return None
            if probe in seen:
                return probe
        return None

    async def _search(self, customs: list[str], window: Window, witness: str) -> set[str]:
        """Search ``customs`` a chunk at a time; returns those whose answer proved the search works."""
        chunks = [customs[at : at + SEARCH_CHUNK] for at in range(0, len(customs), SEARCH_CHUNK)]
        searched: set[str] = set()
        for first in range(0, len(chunks), SEARCHES_AT_ONCE):
            if self.search_failed:
                logger.info(
                    "%s: the history's search does not work as documented; reading by date", self.name
                )
                break
            group = chunks[first : first + SEARCHES_AT_ONCE]
            seen = await asyncio.gather(*(self._matching(window, [witness, *chunk]) for chunk in group))
            for chunk, found in zip(group, seen, strict=True):
                if found is not None and witness in found:
                    searched.update(chunk)
                else:
                    self.search_failed = True
        return searched

    async def _matching(self, window: Window, customs: list[str]) -> set[str] | None:
        """Search for ``customs`` (OR): those found (their entries kept), or None when the answer holds
        much that was not asked for (the search does not filter)."""
        query = {"q": ",".join(f"custom_string:{custom}" for custom in customs), "operator": "OR"}
        wanted, seen = set(customs), set()
        unrelated = 0
        walk = self._entries(window, query)
        try:
            async for entry in walk:
                custom = value_given(entry, "custom_string")
                if custom in wanted:
                    seen.add(custom)
                    self.found.setdefault(custom, []).append(entry)
                elif (unrelated := unrelated + 1) > _MOST_UNRELATED or self.search_failed:
                    self.search_failed = True
                    return None
        finally:
            await walk.aclose()
        return seen

    async def _scan(self, customs: set[str], window: Window) -> None:
        """Read the window's history by date for the custom strings no answer has shown yet."""
        missing = set[str | None](customs - self.found.keys())
        if missing:
            self.found.update(await entries_of(missing, self._entries(window, {})))

    async def _entries(
        self, window: Window, query: dict[str, Any], prefetch: int = 4
    ) -> AsyncGenerator[Any, None]:
        query = {"limit": 100, **query}
        if self.by_date:
            query.update(date_from=int(window.since), date_to=int(window.until) + 1)
        pager: AsyncPager[Any, Any] = AsyncPager(
            self.client, self.history, query=query, options=RequestOptions(timeout=self.timeout)
        )
        pages = pager.pages(prefetch=prefetch)
        try:
            async for page in pages:
                self.pages += 1
                self._progress()
                for entry in pager.items_of(page):
                    yield entry
        finally:
            await pages.aclose()  # type: ignore[attr-defined]

    def _progress(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._logged_at >= _PROGRESS_EVERY:
            self._logged_at = now
            logger.info(
                "%s: resuming; %d of %d messages found in the history (%d pages read)",
                self.name,
                len(self.found),
                self._wanted,
                self.pages,
            )
