"""Input CSV files: read strictly (a row that does not line up with the header is never sent), from a
file, a pipe, a FIFO or stdin."""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click

from ._common import BadInput, Failed

__all__ = ["ENCODING", "STDIN", "CsvMessages", "MalformedRow", "parse_mapping"]

STDIN = Path("-")

_UNDECODED = re.compile(r"[\udc80-\udcff]")
"""A byte the encoding could not read, as ``errors="surrogateescape"`` leaves it."""


class MalformedRow(dict[str, str]):
    """A row whose fields do not line up with the header: never sent. Its one key (the ``problem``) is no
    field of a message, so the bulk checks refuse it; its results row gives the ``problem``."""

    def __init__(self, problem: str) -> None:
        super().__init__({problem: ""})
        self.problem = problem


class CsvMessages:
    """The rows of a CSV file as messages, read lazily: each message field from the column of its name
    (or the one ``--map field=column`` names; names match whatever their case and surrounding spaces);
    blank cells are left out, other columns ignored. The delimiter (``,`` ``;`` or tab) is the header's.

    The file is read through once first (its rows counted, any unreadable line refused before anything
    is sent); stdin, a pipe or a FIFO is copied to a temporary file by that first reading.
    """

    def __init__(
        self,
        source: Path,
        fields: list[str],
        mapping: Mapping[str, str],
        needs: list[list[str]],
        *,
        encoding: str,
        context: click.Context,
    ) -> None:
        self.name = "stdin" if source == STDIN else str(source)
        self.encoding = encoding
        self.path = _regular_file(source, self.name, context)
        self.delimiter = self._sniff_delimiter()
        records = self._records()
        header = [name.strip().casefold() for name in next(records, (0, []))[1]]
        self.rows = sum(1 for _ in records)
        if not header:
            raise BadInput(f"{self.name}: empty, no header row")
        self.width = len(header)
        unknown = sorted(set(mapping) - set(fields))
        if unknown:
            raise click.UsageError(f"--map: {', '.join(unknown)} is not a field of these messages")
        columns = {field: mapping.get(field, field) for field in fields}
        for one_of in needs:
            if not any(columns[field].strip().casefold() in header for field in one_of):
                wanted = " or ".join(repr(columns[field]) for field in one_of)
                raise BadInput(f"{self.name}: no {wanted} column (name it, or --map {one_of[0]}=COLUMN)")
        self.used: dict[str, int] = {}
        for field, column in columns.items():
            found = [at for at, name in enumerate(header) if name == column.strip().casefold()]
            if len(found) > 1:
                raise BadInput(f"{self.name}: {len(found)} columns are named {column!r}")
            if found:
                self.used[field] = found[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        records = self._records()
        next(records)  # the header
        for line, record in islice(records, self.rows):
            if len(record) != self.width:
                problem = f"line {line}: the header has {self.width} columns, this row {len(record)}"
                yield MalformedRow(problem)
            else:
                yield {field: record[at] for field, at in self.used.items() if record[at].strip()}
        if next(records, None) is not None:
            raise BadInput(f"{self.name}: changed while it was being sent")

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """The file's records, each with the line it ends on (blank lines are no records); a line that
        cannot be read is a :class:`BadInput` naming it."""
        with self._open() as file:
            reader = csv.reader(self._decoded(file), delimiter=self.delimiter, strict=True)
            try:
                for record in reader:
                    if record:
                        yield reader.line_num, record
            except csv.Error as error:
                raise BadInput(f"{self.name}: line {reader.line_num}: cannot be read: {error}") from None
            except OSError as error:
                raise BadInput(f"{self.name}: cannot be read: {error}") from None

    def _decoded(self, file: Iterable[str]) -> Iterator[str]:
        """The file's lines; one the encoding could not read is a :class:`BadInput` naming it."""
        for number, line in enumerate(file, 1):
            if not line.isascii() and _UNDECODED.search(line):
                raise BadInput(f"{self.name}: line {number}: cannot be read: not {self.encoding} text")
            yield line

    def _open(self) -> TextIO:
        try:
            return self.path.open(newline="", encoding=self.encoding, errors="surrogateescape")
        except OSError as error:
            raise BadInput(f"{self.name}: cannot be read: {error}") from None

    def _sniff_delimiter(self) -> str:
        """The header's delimiter: ``,`` unless csv.Sniffer finds ``;`` or a tab is."""
        with self._open() as file:
            header = next(self._decoded(file), "")
        try:
            return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
        except csv.Error:  # one column, or nothing to tell by
            return ","


def _regular_file(source: Path, name: str, context: click.Context) -> Path:
    """``source`` if it is a regular file; else (stdin, a pipe, a FIFO) its contents, read once into a
    temporary file kept until the command ends. This runs before the event loop does: Ctrl-C ends a wait
    for a FIFO's writer."""
    try:
        if source != STDIN and stat.S_ISREG(source.stat().st_mode):
            return source
        folder = context.with_resource(tempfile.TemporaryDirectory(prefix="aioclicksend-"))
        copy = Path(folder, "input.csv")
        reading: contextlib.AbstractContextManager[BinaryIO] = (
            contextlib.nullcontext(sys.stdin.buffer)
            if source == STDIN
            else source.open("rb")  # (stdin kept open)
        )
        with reading as original, copy.open("wb") as spooled:
            shutil.copyfileobj(original, spooled)
    except OSError as error:
        raise BadInput(f"{name}: cannot be read: {error}") from None
    except KeyboardInterrupt:
        raise Failed(f"interrupted while reading {name}") from None
    return copy


def _check_encoding(context: click.Context, parameter: click.Parameter, value: str) -> str:
    """``--encoding``: a name Python knows."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"{value!r}: no such encoding") from None
    return value


ENCODING: dict[str, Any] = {
    "default": "utf-8-sig",
    "show_default": True,
    "callback": _check_encoding,
    "help": "The input's text encoding.",
}
"""The settings of an ``--encoding`` option."""


def parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--map FIELD=COLUMN`` options as a dict."""
    mapping = {}
    for pair in pairs:
        field, _, column = pair.partition("=")
        if not field or not column:
            raise click.BadParameter(f"{pair!r}: expected FIELD=COLUMN", param_hint="--map")
        mapping[field] = column
    return mapping
