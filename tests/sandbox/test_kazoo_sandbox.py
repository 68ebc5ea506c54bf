"""The Kazoo faxes API of the embedded sandbox, through AsyncKazoo: every operation, a fax's life from the
outgoing queue to the outbox and its document back, resubmits, received faxes and the SMTP log, start-key
paging, tokens for API keys and their expiry, requests refused in Kazoo's shape, faults and counters; and
schemathesis over Kazoo's spec against the running sandbox."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from aioclicksend import (
    APIConnectionError,
    AsyncClickSend,
    AuthenticationError,
    BadRequestError,
    BinaryResponse,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from aioclicksend._core.operation import Operation
from aioclicksend._core.pagination import KeyedPage
from aioclicksend.kazoo import AsyncKazoo
from aioclicksend.kazoo._generated.operations import OPERATIONS
from aioclicksend.kazoo.models import OutboxFax
from aioclicksend.sandbox import SandboxServer, make_pdf
from aioclicksend.sandbox.__main__ import parse_arguments
from aioclicksend.sandbox.kazoo import behaviours as _kazoo
from aioclicksend.sandbox.kazoo.state import count_pages
from aioclicksend.testing import kazoo_sandbox

from ..support import FAST, by_name, sandbox_in_a_thread

ACCOUNT = "4b8c6fec4b2597882c0390202d195419"
API_KEY = "SECRET-KAZOO-KEY-3333"
TRANSMIT = 0.05
"""Seconds a fax stays in the outgoing queue in these tests."""
PDF = make_pdf(3, "three pages")
TO, FROM = "+15555550100", "+15555550199"
SPEC: dict[str, Any] = json.loads(
    resources.files("aioclicksend.kazoo._generated").joinpath("openapi.json").read_text(encoding="utf-8")
)

Pair = tuple[SandboxServer, AsyncKazoo]


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    """A running sandbox (faxes transmitted after 50 ms) and an AsyncKazoo with an API key for it."""
    async with kazoo_sandbox(
        transmit_after=TRANSMIT, account_id=ACCOUNT, api_key=API_KEY, retry_policy=FAST
    ) as both:
        yield both


async def in_outbox(kazoo: AsyncKazoo, fax_id: str, seconds: float = 5.0) -> OutboxFax:
    """The fax once it has left the outgoing queue for the outbox."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await kazoo.faxes.outbox.get(fax_id=fax_id)
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)


async def raw(
    server: SandboxServer, method: str, path: str, token: str | None = None, **options: Any
) -> tuple[int, dict[str, Any], Any]:
    """A request by hand (what the client would refuse to send): status, headers and JSON answer."""
    headers = {**options.pop("headers", {}), **({"X-Auth-Token": token} if token else {})}
    url = server.kazoo_base_url + path.replace("{account}", f"accounts/{ACCOUNT}")
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers, **options) as response,
    ):
        return response.status, dict(response.headers), await response.json(content_type=None)


class Clock:
    """The sandbox's Kazoo clock, stopped and moved by hand: what is due happens when the test says."""

    def __init__(self, server: SandboxServer) -> None:
        self.now = time.monotonic()
        server.kazoo.clock = lambda: self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def token_of(server: SandboxServer) -> str:
    token, _ = server.kazoo.issue_token("by-hand") or ("", "")
    return token


# --- every operation ----------------------------------------------------------------------------------------


@dataclass
class Held:
    """What the sandbox holds before each operation is called: a fax of each folder and a log entry."""

    pending: str
    outbox: str
    inbox: str
    incoming: str
    smtplog: str


async def hold_one_of_each(server: SandboxServer, kazoo: AsyncKazoo) -> Held:
    sent = await kazoo.faxes.send(to_number=TO, from_number=FROM, file=PDF)
    await in_outbox(kazoo, sent.id or "")
    server.kazoo.transmit_after = 60.0  # what comes next stays where it is
    pending = await kazoo.faxes.send(
        to_number=TO, from_number=FROM, document={"url": "http://fax.test/a.pdf"}
    )
    return Held(
        pending=pending.id or "",
        outbox=sent.id or "",
        inbox=server.kazoo.receive_fax(document=PDF)["id"],
        incoming=server.kazoo.receive_fax(receiving=True)["id"],
        smtplog=server.kazoo.email_fax(sender="ann@example.com")["id"],
    )


CALLS: dict[str, Callable[[Held], dict[str, Any]]] = {
    "SendFax": lambda held: {
        "to_number": TO,
        "from_number": FROM,
        "document": {"url": "http://fax.test/b.pdf"},
    },
    "CreateOutgoingFax": lambda held: {"to_number": TO, "from_number": FROM, "file": PDF},
    "ListOutgoingFaxes": lambda held: {},
    "GetOutgoingFax": lambda held: {"fax_job_id": held.pending},
    "ListOutboxFaxes": lambda held: {"page_size": 10},
    "GetOutboxFax": lambda held: {"fax_id": held.outbox},
    "ResubmitOutboxFax": lambda held: {"fax_id": held.outbox, "to_name": "Again"},
    "DeleteOutboxFax": lambda held: {"fax_id": held.outbox},
    "GetOutboxFaxAttachment": lambda held: {"fax_id": held.outbox, "disposition": "inline"},
    "DeleteOutboxFaxAttachment": lambda held: {"fax_id": held.outbox},
    "ListInboxFaxes": lambda held: {},
    "GetInboxFax": lambda held: {"fax_id": held.inbox},
    "DeleteInboxFax": lambda held: {"fax_id": held.inbox},
    "GetInboxFaxAttachment": lambda held: {"fax_id": held.inbox},
    "DeleteInboxFaxAttachment": lambda held: {"fax_id": held.inbox},
    "ListIncomingFaxes": lambda held: {},
    "GetIncomingFax": lambda held: {"fax_id": held.incoming},
    "ListSmtpLogs": lambda held: {},
    "GetSmtpLog": lambda held: {"attempt_id": held.smtplog},
}


def test_every_kazoo_operation_has_a_call() -> None:
    assert set(CALLS) == {operation.id for operation in OPERATIONS}


@pytest.mark.parametrize("operation", OPERATIONS, ids=by_name)
async def test_every_operation_through_the_client(pair: Pair, operation: Operation[Any]) -> None:
    server, kazoo = pair
    held = await hold_one_of_each(server, kazoo)
    server.counters.reset()
    target: Any = kazoo
    for part in operation.name.split("."):
        target = getattr(target, part)
    result = await target(**CALLS[operation.id](held))
    if operation.binary:
        assert isinstance(result, BinaryResponse) and await result.read() == PDF
    elif operation.paging is not None:
        assert isinstance(result, KeyedPage) and result.data and result.next_start_key is None
    else:
        assert isinstance(result, operation.result_type) and result.id
    assert server.counters.requests == {f"kazoo.{operation.id}": 1}


# --- a fax's life -------------------------------------------------------------------------------------------


async def chunks(document: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(document), size):
        yield document[start : start + size]


def document_as(given: str, folder: Path) -> Any:
    """The PDF as the client takes a document: its bytes, a file's path, or an async iterable of chunks."""
    if given == "path":
        (folder / "fax.pdf").write_bytes(PDF)
        return folder / "fax.pdf"
    return PDF if given == "bytes" else chunks(PDF, 100)


@pytest.mark.parametrize("given", ["bytes", "path", "stream"])
async def test_a_fax_goes_from_outgoing_to_the_outbox_with_its_document(
    pair: Pair, tmp_path: Path, given: str
) -> None:
    server, kazoo = pair
    clock = Clock(server)
    file = document_as(given, tmp_path)
    content_type = "application/pdf" if given == "stream" else None
    job = await kazoo.faxes.send(
        to_number=TO, from_number=FROM, to_name="Bob", file=file, content_type=content_type
    )
    assert (job.status, job.attempts, job.to_name, job.tx_result and job.tx_result.pages_sent) == (
        "pending",
        0,
        "Bob",
        0,
    )
    assert job.id is not None
    queued = await kazoo.faxes.outgoing.list()
    assert [(item.id, item.status, item.to, item.from_) for item in queued.data] == [
        (job.id, "pending", TO, FROM)
    ]
    assert (await kazoo.faxes.outgoing.get(fax_job_id=job.id)).status == "pending"
    with pytest.raises(NotFoundError):
        await kazoo.faxes.outbox.get(fax_id=job.id)  # not sent yet

    clock.advance(TRANSMIT)
    sent = await in_outbox(kazoo, job.id)
    assert (sent.status, sent.folder, sent.attempts) == ("completed", "outbox", 1)
    assert sent.tx_result is not None and sent.tx_result.success and sent.tx_result.error_message == ""
    assert sent.tx_result.pages_sent == 3 == count_pages(PDF, "application/pdf")
    assert (await kazoo.faxes.outgoing.list()).data == []
    with pytest.raises(NotFoundError):
        await kazoo.faxes.outgoing.get(fax_job_id=job.id)
    [listed] = (await kazoo.faxes.outbox.list()).data
    assert (listed.id, listed.to, listed.from_, listed.status) == (job.id, TO, FROM, "completed")

    document = await kazoo.faxes.outbox.attachment(fax_id=job.id)
    assert document.content_type == "application/pdf" and re.fullmatch(
        r"fax_document_[0-9_-]+\.pdf", document.filename or ""
    )
    assert document.headers["Content-Disposition"].startswith("attachment;")  # the default
    assert await document.read() == PDF
    chunks = [
        chunk
        async for chunk in (await kazoo.faxes.outbox.attachment(fax_id=job.id)).iter_bytes(chunk_size=64)
    ]
    assert len(chunks) > 1 and b"".join(chunks) == PDF
    saved = tmp_path / "back.pdf"
    assert await (await kazoo.faxes.outbox.attachment(fax_id=job.id)).save(saved) == len(PDF)
    assert saved.read_bytes() == PDF
    inline = await kazoo.faxes.outbox.attachment(fax_id=job.id, disposition="inline")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    inline.close()

    kept = await kazoo.faxes.outbox.delete_attachment(fax_id=job.id)
    assert kept.id == job.id and kept.tx_result is not None and kept.tx_result.pages_sent == 3
    with pytest.raises(NotFoundError, match="no attachment"):
        await kazoo.faxes.outbox.attachment(fax_id=job.id)
    assert (await kazoo.faxes.outbox.get(fax_id=job.id)).status == "completed"  # the metadata stays
    assert (await kazoo.faxes.outbox.delete(fax_id=job.id)).id == job.id
    with pytest.raises(NotFoundError, match="bad_identifier"):
        await kazoo.faxes.outbox.get(fax_id=job.id)


async def test_a_document_given_by_url_is_not_fetched_and_counts_one_page(pair: Pair) -> None:
    _, kazoo = pair
    job = await kazoo.faxes.outgoing.send(
        to_number=TO, from_number=FROM, document={"url": "http://fax.test/f.pdf"}
    )
    sent = await in_outbox(kazoo, job.id or "")
    assert sent.tx_result is not None and (sent.tx_result.success, sent.tx_result.pages_sent) == (True, 1)
    assert sent.document is not None and sent.document.url == "http://fax.test/f.pdf"
    with pytest.raises(NotFoundError, match="no attachment"):
        await kazoo.faxes.outbox.attachment(fax_id=job.id or "")


async def test_a_fax_to_a_number_ending_in_0000_fails(pair: Pair) -> None:
    _, kazoo = pair
    job = await kazoo.faxes.send(to_number="+15555550000", from_number=FROM, retries=3, file=PDF)
    failed = await in_outbox(kazoo, job.id or "")
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.tx_result is not None and not failed.tx_result.success and failed.tx_result.pages_sent == 0
    assert "0000" in (failed.tx_result.error_message or "")


async def test_a_resubmit_queues_a_copy_with_its_changes(pair: Pair) -> None:
    _, kazoo = pair
    job = await kazoo.faxes.send(to_number="+15555550000", from_number=FROM, from_name="Ann", file=PDF)
    await in_outbox(kazoo, job.id or "")
    again = await kazoo.faxes.outbox.resubmit(fax_id=job.id or "", to_number=TO)
    assert again.id != job.id and (again.status, again.attempts) == ("pending", 0)
    assert (again.to_number, again.from_name) == (TO, "Ann")  # changed, and copied
    assert [item.id for item in (await kazoo.faxes.outgoing.list()).data] == [again.id]
    resent = await in_outbox(kazoo, again.id or "")
    assert resent.tx_result is not None and (resent.tx_result.success, resent.tx_result.pages_sent) == (
        True,
        3,
    )
    assert await (await kazoo.faxes.outbox.attachment(fax_id=again.id or "")).read() == PDF
    assert [fax.id for fax in (await kazoo.faxes.outbox.list()).data] == [job.id, again.id]
    with pytest.raises(NotFoundError):
        await kazoo.faxes.outbox.resubmit(fax_id="no-such-fax")


async def test_a_resubmit_without_a_document_left_is_refused(pair: Pair) -> None:
    _, kazoo = pair
    job = await kazoo.faxes.send(to_number=TO, from_number=FROM, file=PDF)
    await in_outbox(kazoo, job.id or "")
    await kazoo.faxes.outbox.delete_attachment(fax_id=job.id or "")
    with pytest.raises(BadRequestError, match=r"data\.document\.url: add document url or upload a document"):
        await kazoo.faxes.outbox.resubmit(fax_id=job.id or "")


# --- received faxes and the SMTP log ------------------------------------------------------------------------


async def test_received_faxes_are_in_the_inbox_with_their_document(pair: Pair) -> None:
    server, kazoo = pair
    two_pages = make_pdf(2)
    received = server.kazoo.receive_fax(from_number="+15555550142", from_name="Carol", document=two_pages)
    [listed] = (await kazoo.faxes.inbox.list()).data
    assert (listed.id, listed.from_, listed.folder, listed.from_name) == (
        received["id"],
        "+15555550142",
        "inbox",
        "Carol",
    )
    assert [fax.id for fax in (await kazoo.faxes.incoming.list()).data] == [
        received["id"]
    ]  # the spec's DECISION
    fax = await kazoo.faxes.inbox.get(fax_id=received["id"])
    assert fax.rx_result == {"success": True, "pages_received": 2, "fax_speed": 14400, "time_elapsed": 2}
    assert await (await kazoo.faxes.inbox.attachment(fax_id=received["id"])).read() == two_pages
    await kazoo.faxes.inbox.delete_attachment(fax_id=received["id"])
    with pytest.raises(NotFoundError):
        await kazoo.faxes.inbox.attachment(fax_id=received["id"])
    assert (await kazoo.faxes.inbox.delete(fax_id=received["id"])).id == received["id"]
    assert (await kazoo.faxes.inbox.list()).data == []
    with pytest.raises(NotFoundError):
        await kazoo.faxes.inbox.get(fax_id=received["id"])


async def test_a_fax_being_received_is_incoming_until_it_is_in(pair: Pair) -> None:
    server, kazoo = pair
    clock = Clock(server)
    receiving = server.kazoo.receive_fax(receiving=True)
    assert (await kazoo.faxes.incoming.get(fax_id=receiving["id"])).status == "receiving"
    assert (await kazoo.faxes.inbox.list()).data == []
    clock.advance(TRANSMIT)
    assert (await kazoo.faxes.inbox.get(fax_id=receiving["id"])).status == "completed"
    with pytest.raises(NotFoundError):
        await kazoo.faxes.incoming.get(fax_id=receiving["id"])


async def test_the_smtp_log_lists_emails_to_fax(pair: Pair) -> None:
    server, kazoo = pair
    server.faults.latency_ms = 100  # a slow machine: each request takes longer than TRANSMIT
    Clock(server)  # stopped: the fax queued stays pending however long the requests take
    queued = server.kazoo.email_fax(sender="ann@example.com", to_number=TO, subject="Invoice")
    refused = server.kazoo.email_fax(sender="bob@example.com", error="no faxbox matched the domain")
    entries = (await kazoo.faxes.smtplog.list()).data
    assert [(entry.id, entry.from_, entry.error) for entry in entries] == [
        (queued["id"], "ann@example.com", None),
        (refused["id"], "bob@example.com", "no faxbox matched the domain"),
    ]
    attempt = await kazoo.faxes.smtplog.get(attempt_id=queued["id"])
    assert (attempt.to, attempt.errors, attempt.filename) == (f"{TO}@fax.sandbox.invalid", [], "fax.pdf")
    job = await kazoo.faxes.outgoing.get(fax_job_id=attempt.faxdoc_id or "")
    assert (job.to_number, job.subject, job.status) == (TO, "Invoice", "pending")
    assert (await kazoo.faxes.smtplog.get(attempt_id=refused["id"])).faxdoc_id is None
    with pytest.raises(NotFoundError):
        await kazoo.faxes.smtplog.get(attempt_id="202401-nothing")


# --- paging -------------------------------------------------------------------------------------------------


async def test_120_outbox_faxes_in_pages_of_50(pair: Pair) -> None:
    server, kazoo = pair
    server.kazoo.transmit_after = 0.0
    limit = asyncio.Semaphore(20)

    async def send(number: int) -> str:
        async with limit:
            job = await kazoo.faxes.send(to_number=f"+1555555{number:04d}", from_number=FROM, file=PDF)
            return job.id or ""

    sent: list[str] = await asyncio.gather(*(send(number) for number in range(1, 121)))
    pages = [page async for page in kazoo.faxes.outbox.list(page_size=50).pages()]
    assert [len(page.data) for page in pages] == [50, 50, 20]
    assert [page.page_size for page in pages] == [50, 50, 20]
    assert [page.next_start_key is None for page in pages] == [False, False, True]
    assert pages[1].start_key == pages[0].next_start_key
    listed = [fax.id or "" for page in pages for fax in page.data]
    assert sorted(listed) == sorted(sent) and len(set(listed)) == 120
    assert len((await kazoo.faxes.outbox.list()).data) == 50  # 50 a page by default (Kazoo docs)
    assert [fax.id async for fax in kazoo.faxes.outbox.list(page_size=7)] == listed
    last = await kazoo.faxes.outbox.with_raw_response.list(page_size=50, start_key=pages[0].next_start_key)
    assert "next_start_key" in last.envelope
    last = await kazoo.faxes.outbox.with_raw_response.list(page_size=50, start_key=pages[2].start_key)
    assert last.envelope["page_size"] == 20 and "next_start_key" not in last.envelope
    assert (await kazoo.faxes.outbox.list(start_key="not a key of ours")).data == []


# --- auth ---------------------------------------------------------------------------------------------------


async def test_an_api_key_gets_a_token_and_a_new_one_once_it_expired(pair: Pair) -> None:
    server, kazoo = pair
    assert (await kazoo.faxes.outbox.list()).data == []
    assert server.counters.requests["kazoo.api_auth"] == 1
    assert server.kazoo.expire_tokens() == 1
    assert (await kazoo.faxes.outbox.list()).data == []  # a 401, a new token, the list again
    assert server.counters.requests["kazoo.api_auth"] == 2
    assert server.counters.requests["kazoo.ListOutboxFaxes"] == 3
    assert server.counters.answered[401] == 1 and len(server.kazoo.tokens) == 1


async def test_requests_without_a_good_token_get_kazoos_401(pair: Pair) -> None:
    server, _ = pair
    for token in (None, "made-up"):
        status, _, answer = await raw(server, "GET", "/{account}/faxes/outbox", token)
        assert status == 401
        assert (answer["status"], answer["error"], answer["message"]) == (
            "error",
            "401",
            "invalid_credentials",
        )
        assert answer["data"]["message"]
    status, _, answer = await raw(server, "PUT", "/api_auth", json={"data": {"api_key": ""}})
    assert (status, answer["message"], answer["data"]["message"]) == (
        400,
        "invalid_data",
        "data.api_key: must be a non-empty string",
    )
    status, _, answer = await raw(server, "PUT", "/api_auth", json={"data": {"api_key": "k"}})
    assert status == 201 and answer["status"] == "success" and answer["auth_token"]
    assert re.fullmatch("[0-9a-f]{32}", answer["data"]["account_id"])


async def test_any_api_key_text_is_answered_and_expired_tokens_are_dropped(pair: Pair) -> None:
    server, _ = pair
    for key in ("clé", "\ud800"):  # not ASCII; not even encodable (compared and hashed as given)
        status, _, answer = await raw(server, "PUT", "/api_auth", json={"data": {"api_key": key}})
        assert status == 201 and answer["auth_token"]
    async with kazoo_sandbox(api_keys={ACCOUNT: "right-key"}, account_id=ACCOUNT) as (restricted, _):
        status, _, answer = await raw(restricted, "PUT", "/api_auth", json={"data": {"api_key": "clé"}})
        assert status == 401 and answer["message"] == "invalid_credentials"
    clock = Clock(server)
    clock.advance(server.kazoo.token_lifetime + 1)
    server.kazoo.issue_token("k")
    assert len(server.kazoo.tokens) == 1  # the ones before had expired


async def test_a_body_not_in_its_content_encoding_is_a_400(pair: Pair) -> None:
    server, kazoo = pair
    await kazoo.faxes.inbox.list()  # (a token)
    token = next(iter(server.kazoo.tokens))
    metadata = json.dumps({"data": {"to_number": TO, "from_number": FROM}}).encode()
    multipart = b"--B\r\nContent-Type: application/json\r\n\r\n" + metadata + b"\r\n--B--\r\n"
    for content_type, body in (("application/json", metadata), ("multipart/mixed; boundary=B", multipart)):
        headers = {"Content-Type": content_type, "Content-Encoding": "gzip"}
        status, _, answer = await raw(server, "PUT", "/{account}/faxes", token, data=body, headers=headers)
        assert status == 400 and answer["status"] == "error"
    assert server.counters.requests["kazoo.SendFax"] == 2


async def test_restricted_api_keys_each_open_their_own_account() -> None:
    keys = {ACCOUNT: "right-key"}
    async with kazoo_sandbox(api_keys=keys, account_id=ACCOUNT, api_key="right-key") as (server, kazoo):
        assert (await kazoo.faxes.inbox.list()).data == []
        async with AsyncKazoo(base_url=server.kazoo_base_url, account_id=ACCOUNT, api_key="wrong") as other:
            with pytest.raises(AuthenticationError):
                await other.faxes.inbox.list()
        token, account = server.kazoo.issue_token("right-key") or ("", "")
        assert account == ACCOUNT
        async with AsyncKazoo(
            base_url=server.kazoo_base_url, account_id="f" * 32, auth_token=token
        ) as elsewhere:
            with pytest.raises(PermissionDeniedError, match="forbidden"):
                await elsewhere.faxes.inbox.list()


def test_kazoo_on_the_command_line() -> None:
    defaults = parse_arguments([])
    assert (defaults.kazoo_api_keys, defaults.kazoo_transmit_after) == (None, 1.0)
    given = parse_arguments(["--kazoo-api-keys", f"{ACCOUNT}:key-1", "--kazoo-transmit-after", "0.2"])
    assert (given.kazoo_api_keys, given.kazoo_transmit_after) == ({ACCOUNT: "key-1"}, 0.2)
    with pytest.raises(SystemExit):
        parse_arguments(["--kazoo-transmit-after", "-1"])


# --- refusals -----------------------------------------------------------------------------------------------


async def test_bad_requests_are_refused_naming_the_field(pair: Pair) -> None:
    server, kazoo = pair
    with pytest.raises(
        BadRequestError, match=r"invalid_data data\.retries: 9 is greater than the maximum of 4"
    ):
        await kazoo.faxes.send(to_number=TO, from_number=FROM, file=PDF, extra_body={"data.retries": 9})
    with pytest.raises(BadRequestError, match=r"data\.document\.url: add document url or upload a document"):
        await kazoo.faxes.send(to_number=TO, from_number=FROM)
    token = token_of(server)
    fax = {"to_number": TO, "from_number": FROM, "document": {"url": "http://fax.test/f.pdf"}}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "PUT",
            "/{account}/faxes",
            {"json": {"data": {"to_number": TO}}},
            "data.from_number: Field required",
        ),
        (
            "PUT",
            "/{account}/faxes",
            {"json": {"data": {**fax, "colour": "red"}}},
            "data.colour: Extra inputs are not permitted",
        ),
        (
            "PUT",
            "/{account}/faxes",
            {"json": {"data": {**fax, "document": {"url": "x"}}}},
            "data.document.url: ",
        ),
        ("PUT", "/{account}/faxes", {"json": fax}, "data: Field required"),
        ("PUT", "/{account}/faxes/outgoing", {"data": b"{not json"}, "the request body is not valid JSON"),
        ("PUT", "/{account}/faxes/outbox/f1", {"json": {"action": "forward", "data": {}}}, "action: "),
        ("GET", "/{account}/faxes/outbox?page_size=0", {}, "page_size: 0 is less than the minimum of 1"),
        ("GET", "/{account}/faxes/outbox?page_size=ten", {}, "page_size: must be an integer, not 'ten'"),
        ("GET", "/{account}/faxes/inbox/f1/attachment?disposition=download", {}, "disposition: "),
    ]
    for method, path, options, named in cases:
        status, _, answer = await raw(server, method, path, token, **options)
        assert status == 400, (path, answer)
        assert (answer["status"], answer["error"], answer["message"]) == ("error", "400", "invalid_data")
        assert named in answer["data"]["message"], answer


async def test_a_multipart_send_is_read_part_by_part(pair: Pair) -> None:
    server, kazoo = pair
    token = token_of(server)

    def multipart(*parts: tuple[bytes, str]) -> aiohttp.MultipartWriter:
        writer = aiohttp.MultipartWriter("mixed")
        for content, content_type in parts:
            writer.append(content, {"Content-Type": content_type})
        return writer

    metadata = json.dumps({"data": {"to_number": TO, "from_number": FROM}}).encode()
    status, _, answer = await raw(
        server,
        "PUT",
        "/{account}/faxes",
        token,
        data=multipart((metadata, "application/json"), (PDF, "application/octet-stream")),
    )
    assert status == 202 and answer["data"]["status"] == "pending"
    sent = await in_outbox(kazoo, answer["data"]["id"])
    assert sent.tx_result is not None and sent.tx_result.pages_sent == 3  # a PDF by its first bytes
    for body, named in [
        (
            multipart((PDF, "application/pdf")),
            'a multipart send needs an application/json part: {"data": {...}}',
        ),
        (
            multipart((metadata, "application/json")),
            "data.document.url: add document url or upload a document",
        ),
        (
            multipart((b'{"data": {}}', "application/json"), (PDF, "application/pdf")),
            "data.from_number: Field required",
        ),
        (multipart((metadata, "application/json"), (b"", "application/pdf")), "the document part is empty"),
        (
            multipart((metadata, "application/json"), (PDF, "application/pdf"), (PDF, "application/pdf")),
            "a multipart send has two parts",
        ),
        (b"--nothing--", "the request body is not a well-formed multipart/mixed body"),
    ]:
        headers = {"Content-Type": "multipart/mixed"} if isinstance(body, bytes) else {}
        status, _, answer = await raw(server, "PUT", "/{account}/faxes", token, data=body, headers=headers)
        assert (status, answer["message"]) == (400, "invalid_data") and answer["data"]["message"].startswith(
            named
        ), answer


async def test_unknown_routes_and_methods_answer_in_kazoos_shape(pair: Pair) -> None:
    server, _ = pair
    status, _, answer = await raw(server, "GET", "/{account}/faxes/nothing", token_of(server))
    assert (status, answer["status"], answer["message"]) == (404, "error", "not_found")
    status, headers, answer = await raw(server, "DELETE", "/{account}/faxes", token_of(server))
    assert (status, answer["message"], headers["Allow"]) == (405, "invalid_method", "PUT")


async def test_operations_without_a_behaviour_answer_their_documented_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One framework for both APIs: like ClickSend's, a Kazoo operation the sandbox has no behaviour for
    answers the docs' example in Kazoo's envelope (an empty object if they show none) instead of stopping
    the sandbox from starting."""
    folders = [dataclasses.replace(folder, gets=None) for folder in _kazoo.FOLDERS]
    monkeypatch.setattr(_kazoo, "FOLDERS", folders)
    monkeypatch.setattr(_kazoo, "SINGLE", {k: v for k, v in _kazoo.SINGLE.items() if k != "GetSmtpLog"})
    shown = SPEC["paths"]["/faxes/outgoing/{fax_job_id}"]["get"]["responses"]["200"]["content"]
    async with kazoo_sandbox(account_id=ACCOUNT, api_key=API_KEY, retry_policy=FAST) as (server, _):
        token = token_of(server)
        outgoing = await raw(server, "GET", "/{account}/faxes/outgoing/any-job", token)
        smtplog = await raw(server, "GET", "/{account}/faxes/smtplog/202401-any", token)
    assert (outgoing[0], outgoing[2]["status"]) == (200, "success")
    assert outgoing[2]["data"] == shown["application/json"]["example"]["data"]
    assert (smtplog[0], smtplog[2]["status"], smtplog[2]["data"]) == (200, "success", {})


# --- faults and counters ------------------------------------------------------------------------------------


async def test_the_fault_injection_applies_to_kazoo_too(pair: Pair) -> None:
    server, kazoo = pair
    await kazoo.faxes.inbox.list()  # the token first
    server.faults.error_rate = 1.0
    with pytest.raises(InternalServerError) as caught:
        await kazoo.faxes.inbox.list(max_retries=1)
    assert caught.value.response_code == "internal_error" and "Injected failure" in (
        caught.value.response_msg or ""
    )
    assert server.counters.injected_errors == 2
    server.faults.error_rate = 0.0

    server.faults.rate_limit = 1.0
    with pytest.raises(RateLimitError) as limited:
        for _ in range(3):
            await kazoo.faxes.inbox.list(max_retries=0)
    assert limited.value.response_code == "too_many_requests" and server.counters.rate_limited == 1
    server.faults.rate_limit = None

    server.faults.drop_rate = 1.0
    with pytest.raises(APIConnectionError):
        await kazoo.faxes.inbox.list(max_retries=0)
    assert server.counters.dropped == 1
    server.faults.drop_rate = 0.0

    server.faults.latency_ms = 100
    started = time.monotonic()
    await kazoo.faxes.inbox.list()
    assert time.monotonic() - started >= 0.1
    assert server.counters.requests["kazoo.ListInboxFaxes"] == 7


@pytest.mark.parametrize("document", ["bytes", "path", "url"])
async def test_a_dropped_send_on_the_callers_session_goes_out_once(document: str, tmp_path: Path) -> None:
    """aiohttp sends a PUT again by itself when a kept-alive connection drops before the answer, on any
    session but the client's own: a fax, with its document or a link to one, still goes out once."""
    pdf = tmp_path / "fax.pdf"
    pdf.write_bytes(PDF)
    contents: dict[str, dict[str, Any]] = {
        "bytes": {"file": PDF},
        "path": {"file": pdf},
        "url": {"document": {"url": "http://fax.test/a.pdf", "method": "get"}},
    }
    async with (
        SandboxServer(kazoo_transmit_after=TRANSMIT) as server,
        aiohttp.ClientSession() as session,
        AsyncKazoo(
            base_url=server.kazoo_base_url, account_id=ACCOUNT, api_key=API_KEY, session=session
        ) as kazoo,
    ):
        await kazoo.faxes.inbox.list()  # leaves a connection to reuse
        server.faults.drop_rate = 1.0
        with pytest.raises(APIConnectionError) as caught:
            await kazoo.faxes.send(to_number=TO, from_number=FROM, **contents[document])
    assert caught.value.request_sent is True
    assert server.counters.requests["kazoo.SendFax"] == 1 and server.counters.dropped == 1


async def test_kazoo_and_clicksend_on_one_server(pair: Pair) -> None:
    server, kazoo = pair
    async with AsyncClickSend("user", "key", base_url=server.base_url) as cs:
        await cs.fax.send(file_url="http://fax.test/f.pdf", messages=[{"to": "+61411111111"}])
    await kazoo.faxes.send(to_number=TO, from_number=FROM, file=PDF)
    assert server.counters.requests["SendFax"] == 1 and server.counters.requests["kazoo.SendFax"] == 1


# --- schemathesis -------------------------------------------------------------------------------------------


TOKEN = "property-token"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, negative_data_rejection]
schema = schemathesis.openapi.from_dict(copy.deepcopy(SPEC))
# The token as schemathesis's own header setting (the sandbox issues it when it starts), and the base URL
# for its path: the spec's server is a template (…/accounts/{account_id}), and schemathesis compares the
# path a request went to with it. Host and port are the running sandbox's, given at each call.
schema.config.update(headers={"X-Auth-Token": TOKEN}, base_url=f"http://127.0.0.1/v2/accounts/{ACCOUNT}")


@pytest.fixture(scope="module")
def kazoo_url() -> Iterator[str]:
    """The sandbox in a thread of its own (schemathesis calls it synchronously), holding a fax of each folder."""
    with sandbox_in_a_thread() as server:
        server.kazoo.issue_token("property-key", token=TOKEN)
        server.kazoo.receive_fax()
        server.kazoo.email_fax()
        yield f"{server.kazoo_base_url}/accounts/{ACCOUNT}"


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_kazoo_sandbox_agrees_with_its_spec(case: schemathesis.Case[Any], kazoo_url: str) -> None:
    case.call_and_validate(base_url=kazoo_url, checks=CHECKS)
