"""Kazoo documents in and out against a hostile server, from issue 20 ("Exactly once with real data
and at real scale"): a section for each failure it reported."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from aioclicksend import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    BinaryResponse,
    RequestValidationError,
)
from aioclicksend.kazoo import AsyncKazoo

from ..support import serve_on_loopback

ACCOUNT = "4b8c6fec4b2597882c0390202d195419"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MIB = 1024 * 1024

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Server:
    """A Kazoo on loopback whose every answer the test chooses; it records the requests it received."""

    answer: Answer | None = None
    received: list[tuple[str, bytes]] = field(default_factory=list)
    url: str = ""
    written: int = 0
    """Bytes of document an answer of ``stream`` wrote before the client went away."""
    stalled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when an answer of ``stream`` stops writing."""
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once an answer of ``stream`` is over (the client took it all, or went away)."""
    released: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the test ends: a stalled answer ends then."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append((request.path, await request.read()))
        assert self.answer is not None
        return await self.answer(request)

    def stream(self, size: int, *, declared: bool = True, stall_after: int | None = None) -> Answer:
        """An answer of ``size`` bytes written a MiB at a time (its length declared or not), or that
        stops writing after ``stall_after`` bytes (whole MiBs) until the end of the test."""

        async def answer(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
            if declared:
                response.content_length = size
            await response.prepare(request)
            try:
                while self.written < size:
                    if self.written == stall_after:
                        self.stalled.set()
                        await self.released.wait()
                    await response.write(b"\0" * MIB)
                    self.written += MIB
            except ConnectionError:
                pass
            finally:
                self.answered.set()
            return response

        return answer

    def kazoo(self, **settings: Any) -> AsyncKazoo:
        return AsyncKazoo(
            base_url=self.url + "/v2", account_id=ACCOUNT, auth_token="token", max_retries=0, **settings
        )


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    hostile = Server()
    hostile.url, runner = await serve_on_loopback(hostile.handle)
    yield hostile
    hostile.released.set()
    await runner.cleanup()


def answer_with(body: bytes, headers: dict[str, str]) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers=headers)

    return answer


# ---- save -------------------------------------------------------------------------------------------------


async def test_a_download_cut_short_leaves_the_previous_file_alone(server: Server, tmp_path: Path) -> None:
    async def cut_short(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        response.content_length = 10 * MIB
        await response.prepare(request)
        await response.write(b"\0" * MIB)
        assert request.transport is not None
        request.transport.close()
        return response

    server.answer = cut_short
    (tmp_path / "fax.pdf").write_bytes(PDF)
    async with server.kazoo() as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        with pytest.raises(APIConnectionError, match="while reading the document"):
            await asyncio.wait_for(document.save(tmp_path / "fax.pdf"), 60)
    assert os.listdir(tmp_path) == ["fax.pdf"] and (tmp_path / "fax.pdf").read_bytes() == PDF


async def test_a_download_cancelled_halfway_leaves_the_previous_file_alone(
    server: Server, tmp_path: Path
) -> None:
    server.answer = server.stream(10 * MIB, stall_after=2 * MIB)
    (tmp_path / "fax.pdf").write_bytes(PDF)
    async with server.kazoo() as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        saving = asyncio.ensure_future(document.save(tmp_path / "fax.pdf"))
        await asyncio.wait_for(server.stalled.wait(), 30)
        await asyncio.sleep(0.2)  # the client reads what was written, and waits for more
        saving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await saving
    assert os.listdir(tmp_path) == ["fax.pdf"] and (tmp_path / "fax.pdf").read_bytes() == PDF


async def test_a_whole_download_replaces_the_file(server: Server, tmp_path: Path) -> None:
    server.answer = answer_with(PDF * 3, {"Content-Type": "application/pdf"})
    (tmp_path / "fax.pdf").write_bytes(b"an older fax")
    async with server.kazoo() as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        assert await document.save(str(tmp_path / "fax.pdf")) == len(PDF) * 3
    assert os.listdir(tmp_path) == ["fax.pdf"] and (tmp_path / "fax.pdf").read_bytes() == PDF * 3


async def test_a_symlink_at_the_path_is_replaced_not_written_through(server: Server, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fax.pdf").symlink_to(victim)
    server.answer = answer_with(PDF, {"Content-Type": "application/pdf"})
    async with server.kazoo() as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        await document.save(tmp_path / "out" / "fax.pdf")
    assert victim.read_bytes() == b"not yours"
    assert not (tmp_path / "out" / "fax.pdf").is_symlink()
    assert (tmp_path / "out" / "fax.pdf").read_bytes() == PDF


@pytest.mark.parametrize("where", ["a folder", "a missing folder", "not a path"])
async def test_save_to_an_unusable_path_is_our_error(server: Server, tmp_path: Path, where: str) -> None:
    path: Any = {"a folder": tmp_path, "a missing folder": tmp_path / "gone" / "fax.pdf", "not a path": 3}
    server.answer = server.stream(300 * MIB)
    async with server.kazoo() as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        with pytest.raises(RequestValidationError, match=r"faxes\.outbox\.attachment: .*path: "):
            await document.save(path[where])
    await asyncio.wait_for(server.answered.wait(), 30)
    assert server.written < 64 * MIB and os.listdir(tmp_path) == []  # the document was let go unread


# ---- the size limit ---------------------------------------------------------------------------------------


async def read_in_chunks(document: BinaryResponse) -> bytes:
    return b"".join([chunk async for chunk in document.iter_bytes()])


READERS: dict[str, Callable[[BinaryResponse, Path], Awaitable[Any]]] = {
    "read": lambda document, _: document.read(),
    "iter_bytes": lambda document, _: read_in_chunks(document),
    "save": lambda document, folder: document.save(folder / "fax.pdf"),
}


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
@pytest.mark.parametrize("reader", READERS)
async def test_a_document_past_max_response_size_is_refused_and_read_no_further(
    server: Server, tmp_path: Path, reader: str, declared: bool
) -> None:
    server.answer = server.stream(300 * MIB, declared=declared)
    (tmp_path / "fax.pdf").write_bytes(PDF)
    async with server.kazoo(max_response_size=MIB) as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        with pytest.raises(APIResponseValidationError, match=r"larger than max_response_size \(1048576"):
            await asyncio.wait_for(READERS[reader](document, tmp_path), 60)
    await asyncio.wait_for(server.answered.wait(), 30)
    # What the server wrote before the connection went: at most what the sockets' buffers hold.
    assert server.written < 64 * MIB
    assert os.listdir(tmp_path) == ["fax.pdf"] and (tmp_path / "fax.pdf").read_bytes() == PDF


async def test_a_document_within_max_response_size_is_read_whole(server: Server) -> None:
    server.answer = server.stream(MIB, declared=False)
    async with server.kazoo(max_response_size=MIB) as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        assert len(await document.read()) == MIB


# ---- timeouts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout", [2.0, aiohttp.ClientTimeout(sock_read=1)], ids=["whole request", "between reads"]
)
async def test_a_download_that_stalls_times_out(server: Server, tmp_path: Path, timeout: Any) -> None:
    server.answer = server.stream(10 * MIB, stall_after=MIB)
    (tmp_path / "fax.pdf").write_bytes(PDF)
    async with server.kazoo(timeout=timeout) as kazoo:
        document = await kazoo.faxes.outbox.attachment(fax_id="f1")
        with pytest.raises(APITimeoutError, match="timed out while reading the document") as caught:
            await asyncio.wait_for(document.save(tmp_path / "fax.pdf"), 60)
    assert caught.value.request_sent and caught.value.__cause__ is None
    assert os.listdir(tmp_path) == ["fax.pdf"] and (tmp_path / "fax.pdf").read_bytes() == PDF


# ---- the suggested file name ------------------------------------------------------------------------------


def encoded(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name, safe='')}"


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ('attachment; filename="fax.pdf"', "fax.pdf"),
        ('attachment; filename="../../../tmp/pwned.pdf"', "pwned.pdf"),
        (encoded("..\\..\\windows\\pwned.pdf"), "pwned.pdf"),
        (encoded("/etc/passwd"), "passwd"),
        (encoded("fax\0.pdf\0"), "fax.pdf"),
        (encoded("f\r\na\x1bx\x7f.pdf"), "fax.pdf"),
        (encoded("\u202efdp.exe"), "fdp.exe"),  # a right-to-left override would show it as exe.pdf
        (encoded(".bashrc"), "bashrc"),
        (encoded("   fax.pdf  "), "fax.pdf"),
        (encoded("../.."), None),
        (encoded("fax/"), None),
        (encoded("\0\0"), None),
        ('attachment; filename=""', None),
        ("attachment; filename=", None),  # malformed: aiohttp warns, and nothing comes of it
        ('attach;;;= filename="x', None),
        ("inline", None),
    ],
)
async def test_the_suggested_filename_is_a_bare_name(
    server: Server, disposition: str, filename: str | None
) -> None:
    server.answer = answer_with(PDF, {"Content-Type": "application/pdf", "Content-Disposition": disposition})
    async with server.kazoo() as kazoo, await kazoo.faxes.outbox.attachment(fax_id="f1") as document:
        assert document.filename == filename


@pytest.mark.parametrize(
    ("suggested", "ending"),
    [
        ("a" * 5000 + ".pdf", "a.pdf"),
        ("é" * 1000 + ".pdf", "é.pdf"),  # cut between characters, not within one
        ("a" * 300 + "." + "b" * 300 + ".pdf", "a.pdf"),
        ("fax." + "b" * 5000, "bbb"),  # no extension worth keeping
    ],
)
async def test_a_long_suggested_filename_is_cut_to_255_bytes(
    server: Server, suggested: str, ending: str
) -> None:
    disposition = encoded(suggested)
    server.answer = answer_with(PDF, {"Content-Type": "application/pdf", "Content-Disposition": disposition})
    async with server.kazoo() as kazoo, await kazoo.faxes.outbox.attachment(fax_id="f1") as document:
        filename = document.filename
    assert filename is not None and 250 <= len(filename.encode()) <= 255
    assert filename.startswith(suggested[:100]) and filename.endswith(ending)


# ---- a document's type on the way out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pdf\r\nX-Injected: 1",
        "application/pdf\n",
        "application/pdf\r",
        "application/\0pdf",
        "application/pdf\t",
        "pdf",
        "",
        "application/",
        "/pdf",
        "application/pdf extra",
        "application/pdf/x",
        b"application/pdf",
    ],
)
async def test_a_content_type_that_is_not_a_media_type_is_refused_before_sending(
    server: Server, content_type: Any
) -> None:
    async with server.kazoo() as kazoo:
        with pytest.raises(
            RequestValidationError, match=r"faxes\.send: .*content_type: .* is not a media type"
        ):
            await kazoo.faxes.send(to_number="1", from_number="2", file=PDF, content_type=content_type)
    assert server.received == []


async def test_a_media_type_is_sent_as_given(server: Server) -> None:
    server.answer = answer_with(b'{"data": {"id": "job-1"}}', {"Content-Type": "application/json"})
    async with server.kazoo() as kazoo:
        await kazoo.faxes.send(to_number="1", from_number="2", file=PDF, content_type="image/tiff")
    [(_, body)] = server.received
    assert b"Content-Type: image/tiff\r\n" in body
