"""Documents in and out: a streamed binary answer, and a document sent with its JSON in one request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

import aiohttp

from ._exceptions import APIResponseValidationError, RequestValidationError

__all__ = ["BinaryResponse", "FileInput", "multipart_body"]

FileInput = bytes | str | os.PathLike[str] | AsyncIterable[bytes]
"""A document to send: its bytes, the path of a file (streamed from disk), or an async iterable of bytes."""

CHUNK = 64 * 1024


class BinaryResponse:
    """A document the API answered with, not read yet: read it whole, in chunks, or into a file.

    It holds the connection until it is read to the end or closed: use ``async with``, or one of
    :meth:`read`, :meth:`save` or a whole :meth:`iter_bytes`, each of which closes it. A document larger
    than the client's ``max_response_size`` is an :class:`APIResponseValidationError`, read no further.
    """

    def __init__(self, response: aiohttp.ClientResponse, operation: str, max_size: int) -> None:
        self._response = response
        self._operation = operation
        self.max_size = max_size
        """The most bytes read (the client's ``max_response_size``)."""
        self.status = response.status
        self.headers = response.headers
        self.content_type = response.content_type
        """E.g. ``application/pdf``."""
        with warnings.catch_warnings():  # a malformed header is the server's fault, not the caller's
            warnings.simplefilter("ignore", aiohttp.BadContentDispositionHeader)
            warnings.simplefilter("ignore", aiohttp.BadContentDispositionParam)
            disposition = response.content_disposition
        self.filename = _safe_filename(disposition.filename if disposition is not None else None)
        """The file name the answer suggests (``Content-Disposition``), made safe: its last path segment
        without control characters or leading dots, at most 255 bytes of UTF-8 (the extension kept);
        ``None`` if nothing usable is left. Still the server's choice: check it before you use it."""

    async def iter_bytes(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The document, a chunk at a time (never all of it in memory)."""
        received = 0
        try:
            declared = self._response.content_length
            if declared is not None and declared > self.max_size:
                raise self._too_large()
            async for chunk in self._response.content.iter_chunked(chunk_size):
                received += len(chunk)
                if received > self.max_size:
                    raise self._too_large()
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            from ._attempt import transport_error  # it imports this module

            method, url = self._response.method, str(self._response.url)
            raise transport_error(error, method=method, url=url, stage="while reading the document") from None
        finally:
            self.close()

    async def read(self) -> bytes:
        """The whole document."""
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Write the document to ``path`` as it arrives; returns its size in bytes.

        It goes to a new file beside ``path`` (readable by its owner only), which replaces ``path`` once
        the whole document is in: a file already there stays as it was until then, a failure or a
        cancellation leaves nothing behind, and a symlink at ``path`` is replaced, never written through.
        """
        descriptor, temporary = self._temporary_file(path)
        try:
            size = 0
            with os.fdopen(descriptor, "wb") as file:  # a chunk written at a time, between reads
                async for chunk in self.iter_bytes():
                    file.write(chunk)
                    size += len(chunk)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return size

    def _temporary_file(self, path: str | os.PathLike[str]) -> tuple[int, str]:
        """A new, empty file (created exclusively) in the folder of ``path``, where it can replace it:
        its open descriptor and its path."""
        target = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
        if not isinstance(target, str):
            raise self._refused(f"path: must be a str or a path, not {type(path).__name__}")
        if os.path.isdir(target) and not os.path.islink(target):
            raise self._refused(f"path: {target!r} is a folder")
        folder = os.path.dirname(os.path.abspath(target))
        try:
            return tempfile.mkstemp(prefix=".aioclicksend-", suffix=".part", dir=folder)
        except OSError as error:
            raise self._refused(f"path: cannot create a file in {folder!r}: {error.strerror}") from None

    def _refused(self, problem: str) -> RequestValidationError:
        """The error for a bad argument of :meth:`save`; the document is let go unread."""
        self.close()
        return RequestValidationError(self._operation, [problem])

    def _too_large(self) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"the document is larger than max_response_size ({self.max_size} bytes)",
            method=self._response.method,
            url=str(self._response.url),
            status=self.status,
            body=b"",
        )

    def close(self) -> None:
        """Let the connection go (without reading the rest)."""
        self._response.release()

    async def __aenter__(self) -> BinaryResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BinaryResponse({self.status}, {self.content_type!r}, filename={self.filename!r})"


MAX_FILENAME = 255
"""The longest :attr:`BinaryResponse.filename`, in bytes of UTF-8 (most file systems' limit)."""


def _safe_filename(suggested: str | None) -> str | None:
    """A server's suggested file name as a bare name: see :attr:`BinaryResponse.filename`."""
    last = re.split(r"[/\\]", suggested or "")[-1]
    name = "".join(character for character in last if unicodedata.category(character)[0] != "C")
    name = re.sub(r"^[\s.]+|\s+$", "", name)
    if len(name.encode()) > MAX_FILENAME:
        stem, extension = os.path.splitext(name)
        if len(extension) > 16:  # not an extension worth keeping
            stem, extension = name, ""
        room = MAX_FILENAME - len(extension.encode())
        name = stem.encode()[:room].decode(errors="ignore") + extension
    return name or None


_MAGIC = ((b"%PDF", "application/pdf"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))


_MEDIA_TYPE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""``type/subtype``: two tokens of RFC 9110 (nothing that could end a header or start another)."""


def _content_type(file: FileInput, given: str | None, operation: str) -> str:
    """The document's type: as given (a ``type/subtype``), else from the file's name, else from its
    first bytes."""
    if given is not None:
        if isinstance(given, str) and _MEDIA_TYPE.fullmatch(given):
            return given
        problem = f"content_type: {given!r:.80} is not a media type like application/pdf"
        raise RequestValidationError(operation, [problem])
    if isinstance(file, (str, os.PathLike)):
        guessed = mimetypes.guess_type(os.fspath(file))[0]
        if guessed:
            return guessed
        with open(file, "rb") as opened:
            file = opened.read(8)
    if isinstance(file, bytes):
        for magic, kind in _MAGIC:
            if file.startswith(magic):
                return kind
    raise RequestValidationError(
        operation, ["content_type: cannot tell the document's type: pass content_type="]
    )


def multipart_body(
    operation: str, metadata: Any, file: FileInput, content_type: str | None
) -> Callable[[], aiohttp.MultipartWriter]:
    """What makes a ``multipart/mixed`` body (the JSON ``metadata``, then the document) for one attempt.

    A file is opened anew for each attempt and streamed from disk; an async iterable can be sent once.
    The document always goes as a stream, bytes too: aiohttp sends a PUT again by itself when its
    connection drops before the answer, on a session of the caller's (see ``_get_session``), unless a
    part of the body can be written only once.
    """
    kind = _content_type(file, content_type, operation)
    if isinstance(file, (str, os.PathLike)) and not os.path.isfile(file):
        raise RequestValidationError(operation, [f"file: {os.fspath(file)!r} is not a file"])
    if not isinstance(file, (bytes, str, os.PathLike, AsyncIterable)):
        raise RequestValidationError(
            operation, [f"file: must be bytes, a path or an async iterable, not {type(file).__name__}"]
        )
    sent = False

    def make() -> aiohttp.MultipartWriter:
        nonlocal sent
        if sent and isinstance(file, AsyncIterable):
            raise RequestValidationError(operation, ["file: an async iterable can be sent once, and was"])
        sent = True
        writer = aiohttp.MultipartWriter("mixed")
        writer.append(json.dumps(metadata), {"Content-Type": "application/json"})
        if isinstance(file, bytes):
            document: AsyncIterable[bytes] = _once(file)
        else:
            document = _from_disk(file) if isinstance(file, (str, os.PathLike)) else file
        writer.append(document, {"Content-Type": kind})
        return writer

    return make


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def _from_disk(path: str | os.PathLike[str]) -> AsyncIterator[bytes]:
    """A file's bytes, a chunk at a time, read as the request is written. The file is open only while
    a chunk is read, so a request given up halfway leaves no file open."""
    offset = 0
    while True:
        with open(path, "rb") as file:
            file.seek(offset)
            chunk = file.read(CHUNK)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk
