"""The results CSV: a row per input row, put in place whole, its cells safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._common import BadInput

__all__ = ["RESULT_COLUMNS", "ResultsFile", "check_distinct"]

RESULT_COLUMNS = ["row", "outcome", "status", "message_id", "price", "custom_string", "reason"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as the text it is: one that starts like a formula gets a leading ``'``."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class ResultsFile:
    """The results of ``rows`` input rows, given in any order (as they settle) with :meth:`add`.

    They wait in an anonymous temporary file; when the ``with`` block ends without an error they are
    written in input order to a new file beside ``target`` (created exclusively), which then replaces
    it (``os.replace``): a run that dies leaves the results of the run before it whole, and a symlink
    at ``target`` is replaced, never written through. Each row's place in the temporary file is two
    small numbers, whatever the number of rows."""

    def __init__(self, target: Path, rows: int, *, raw_cells: bool) -> None:
        self.target = target
        self._raw_cells = raw_cells
        self._starts = array("q", [-1]) * rows
        """Where each row's line starts in the temporary file; -1 until it has one."""
        self._sizes = array("L", [0]) * rows
        self._line = io.StringIO()
        self._writer = csv.writer(self._line)
        self._spool: IO[bytes] | None = None

    def __enter__(self) -> ResultsFile:
        self._spool = tempfile.TemporaryFile(dir=self.target.parent)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._spool is not None
        with self._spool:
            if kind is None:
                self._put_in_place(self._spool)

    def add(self, row: int, cells: list[Any]) -> None:
        """The results row of input row ``row`` (from 0): ``cells`` after the row number."""
        assert self._spool is not None
        line = self._encode([row + 1, *(cells if self._raw_cells else map(safe_cell, cells))])
        self._starts[row] = self._spool.seek(0, os.SEEK_END)
        self._sizes[row] = len(line)
        self._spool.write(line)

    def unfilled(self) -> Iterator[int]:
        """The rows with no results row yet."""
        return (row for row, start in enumerate(self._starts) if start < 0)

    def _encode(self, cells: list[Any]) -> bytes:
        self._line.seek(0)
        self._line.truncate()
        self._writer.writerow(cells)
        return self._line.getvalue().encode(errors="replace")  # (a lone surrogate from a server)

    def _put_in_place(self, spool: IO[bytes]) -> None:
        folder, name = self.target.parent, self.target.name
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
        try:
            with open(handle, "wb") as out:
                out.write(self._encode(RESULT_COLUMNS))
                for start, size in zip(self._starts, self._sizes, strict=True):
                    if start >= 0:
                        spool.seek(start)
                        out.write(spool.read(size))
            os.replace(temporary, self.target)
        except BaseException:
            os.unlink(temporary)
            raise


def check_distinct(files: dict[str, Path]) -> None:
    """Refuse two of ``files`` (by role: ``--results``, ``--journal``, the input) that are one file, by
    name or through a link."""
    seen: dict[Any, str] = {}
    for role, path in files.items():
        try:
            status = path.stat()
            identity: Any = (status.st_dev, status.st_ino)
        except OSError:  # not there yet
            identity = path.resolve()
        if identity in seen:
            raise BadInput(f"{role} {path}: the same file as {seen[identity]}")
        seen[identity] = role
