"""The Kazoo v2 Faxes API through the same pipeline: every operation from its spec's examples, the
envelope and errors, start-key paging, token and API-key auth, documents in and out."""

from __future__ import annotations

import json
import re
import socket
import tracemalloc
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel

from aioclicksend import APIConnectionError, AuthenticationError, BinaryResponse, NotFoundError
from aioclicksend._core.operation import Operation
from aioclicksend.kazoo import AsyncKazoo
from aioclicksend.kazoo._generated.operations import OPERATIONS
from aioclicksend.kazoo.models import OutgoingFaxJob
from codegen.names import python_name

from ..support import FAST, MockAPI, by_name, sent, sent_json

ROOT = "https://kazoo.test:8000/v2"
ACCOUNT = "4b8c6fec4b2597882c0390202d195419"
TOKEN = "SECRET-AUTH-TOKEN-1111"
API_KEY = "SECRET-KAZOO-API-KEY-2222"
ANY_URL = re.compile(r"^https://kazoo\.test:8000/v2/accounts/4b8c6fec4b2597882c0390202d195419/.*$")
SPEC: dict[str, Any] = json.loads(
    resources.files("aioclicksend.kazoo._generated").joinpath("openapi.json").read_text(encoding="utf-8")
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
async def kazoo(sleeps: list[float]) -> AsyncIterator[AsyncKazoo]:
    async with AsyncKazoo(base_url=ROOT, account_id=ACCOUNT, auth_token=TOKEN, retry_policy=FAST) as client:
        yield client


def spec_of(operation: Operation[Any]) -> dict[str, Any]:
    return SPEC["paths"][operation.path][operation.method.lower()]  # type: ignore[no-any-return]


def answer_of(operation: Operation[Any]) -> Any:
    """The documented answer, or the emptiest of its shape."""
    for code in ("200", "202"):
        content = spec_of(operation)["responses"].get(code, {}).get("content", {}).get("application/json", {})
        if "example" in content:
            return content["example"]
    empty: Any = [] if operation.paging else {}
    return {"data": empty, "status": "success", "request_id": "r1", "revision": "1", "auth_token": TOKEN}


def call_of(operation: Operation[Any]) -> tuple[dict[str, Any], Any]:
    """Keyword arguments from the spec's examples, and the JSON body expected on the wire."""
    kwargs: dict[str, Any] = {
        python_name(parameter.name): f"sample-{parameter.name}"
        for parameter in operation.parameters
        if parameter.location == "path"
    }
    body = (
        spec_of(operation)
        .get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("example")
    )
    kwargs.update({python_name(name): value for name, value in (body or {}).get("data", {}).items()})
    return kwargs, body


async def invoke(client: AsyncKazoo, operation: Operation[Any], kwargs: dict[str, Any]) -> Any:
    target: Any = client
    for part in operation.name.split("."):
        target = getattr(target, part)
    return await target(**kwargs)


@pytest.mark.parametrize(
    "operation", [operation for operation in OPERATIONS if not operation.binary], ids=by_name
)
async def test_every_operation_as_documented(
    kazoo: AsyncKazoo, mocked: MockAPI, operation: Operation[Any]
) -> None:
    kwargs, body = call_of(operation)
    mocked.add(ANY_URL, operation.method, payload=answer_of(operation))
    result = await invoke(kazoo, operation, kwargs)
    [(method, url, request)] = sent(mocked)
    assert method == operation.method
    assert url.path == f"/v2/accounts/{ACCOUNT}" + operation.path.format(
        **{parameter.name: f"sample-{parameter.name}" for parameter in operation.parameters}
    )
    assert request["headers"]["X-Auth-Token"] == TOKEN and "Authorization" not in request["headers"]
    assert sent_json(request) == body  # the body wrapped as {"data": {...}}, action and all
    expected = answer_of(operation)["data"]
    read = result.data if operation.paging else result
    if isinstance(read, BaseModel):
        assert read.model_dump(by_alias=True, exclude_unset=True) == expected
    else:
        assert [item.model_dump(by_alias=True, exclude_unset=True) for item in read] == expected


@pytest.mark.parametrize(
    "operation", [operation for operation in OPERATIONS if operation.binary], ids=by_name
)
async def test_attachments_stream(
    kazoo: AsyncKazoo, mocked: MockAPI, tmp_path: Path, operation: Operation[Any]
) -> None:
    headers = {"Content-Type": "application/pdf", "Content-Disposition": 'attachment; filename="fax.pdf"'}
    for _ in range(3):
        mocked.add(ANY_URL, "GET", body=PDF, headers=headers)
    method = getattr(kazoo.faxes, operation.name.split(".")[1]).attachment
    document = await method(fax_id="f1", disposition="attachment")
    assert isinstance(document, BinaryResponse)
    assert (document.content_type, document.filename) == ("application/pdf", "fax.pdf")
    assert await document.read() == PDF
    chunks = [chunk async for chunk in (await method(fax_id="f1")).iter_bytes(chunk_size=8)]
    assert b"".join(chunks) == PDF and len(chunks) > 1
    assert await (await method(fax_id="f1")).save(tmp_path / "fax.pdf") == len(PDF)
    assert (tmp_path / "fax.pdf").read_bytes() == PDF
    assert [url.query.get("disposition") for _, url, _ in sent(mocked)] == ["attachment", None, None]
    # Kazoo picks the answer's type by Accept: the document's types first, JSON (its errors) last.
    accepted = {kwargs["headers"]["Accept"] for _, _, kwargs in sent(mocked)}
    assert accepted == {"application/pdf, image/tiff, application/octet-stream, application/json;q=0.1"}


async def test_errors_carry_kazoos_code_and_message(kazoo: AsyncKazoo, mocked: MockAPI) -> None:
    mocked.get(
        ANY_URL,
        status=404,
        payload={
            "status": "error",
            "error": "404",
            "message": "bad_identifier",
            "data": {"message": "No fax f9"},
        },
    )
    with pytest.raises(NotFoundError) as caught:
        await kazoo.faxes.outbox.get(fax_id="f9")
    assert (caught.value.response_code, caught.value.response_msg) == ("bad_identifier", "No fax f9")


async def test_start_key_paging_walks_every_page(kazoo: AsyncKazoo, mocked: MockAPI) -> None:
    def page(ids: list[str], following: str | None) -> dict[str, Any]:
        return {
            "data": [{"id": fax_id} for fax_id in ids],
            "page_size": len(ids),
            "next_start_key": following,
        }

    mocked.get(ANY_URL, payload=page(["a", "b"], "key-2"))
    mocked.get(ANY_URL, payload=page(["c"], None))
    assert [fax.id async for fax in kazoo.faxes.outbox.list(page_size=2)] == ["a", "b", "c"]
    assert [url.query.get("start_key") for _, url, _ in sent(mocked)] == [None, "key-2"]
    mocked.get(ANY_URL, payload=page(["a", "b"], "key-2"))
    first = await kazoo.faxes.outbox.list(page_size=2)
    assert ([fax.id for fax in first.data], first.next_start_key) == (["a", "b"], "key-2")


async def test_an_api_key_is_traded_for_a_token_and_again_after_a_401(mocked: MockAPI) -> None:
    for token in ("token-1", "token-2"):
        mocked.put(f"{ROOT}/api_auth", payload={"auth_token": token, "data": {}, "status": "success"})
    mocked.get(ANY_URL, payload={"data": {"id": "j1"}})
    mocked.get(
        ANY_URL,
        status=401,
        payload={
            "status": "error",
            "error": "401",
            "message": "invalid_credentials",
            "data": {"message": "expired"},
        },
    )
    mocked.get(ANY_URL, payload={"data": {"id": "j1"}})
    async with AsyncKazoo(base_url=ROOT, account_id=ACCOUNT, api_key=API_KEY) as kazoo:
        assert (await kazoo.faxes.outgoing.get(fax_job_id="j1")).id == "j1"
        assert (await kazoo.faxes.outgoing.get(fax_job_id="j1")).id == "j1"  # 401, a new token, again
        assert API_KEY not in repr(kazoo) and "token" not in repr(kazoo).replace("auth_token=…", "")
    calls = sent(mocked)
    assert sorted((method, url.path.rsplit("/", 1)[-1]) for method, url, _ in calls) == [
        ("GET", "j1"),
        ("GET", "j1"),
        ("GET", "j1"),
        ("PUT", "api_auth"),
        ("PUT", "api_auth"),
    ]
    assert sent_json(calls[0][2]) == {"data": {"api_key": API_KEY}}
    assert [request["headers"].get("X-Auth-Token") for method, _, request in calls if method == "GET"] == [
        "token-1",
        "token-1",
        "token-2",
    ]


async def test_a_401_with_a_fixed_token_is_not_repeated(kazoo: AsyncKazoo, mocked: MockAPI) -> None:
    mocked.get(
        ANY_URL,
        status=401,
        payload={
            "status": "error",
            "error": "401",
            "message": "invalid_credentials",
            "data": {"message": "no"},
        },
    )
    with pytest.raises(AuthenticationError) as caught:
        await kazoo.faxes.outbox.get(fax_id="f1")
    assert len(sent(mocked)) == 1
    assert TOKEN not in repr(caught.value) and TOKEN not in str(vars(caught.value))


@pytest.mark.parametrize("given", ["bytes", "path", "stream"])
async def test_a_document_goes_with_its_json_in_one_request(
    kazoo: AsyncKazoo, mocked: MockAPI, tmp_path: Path, given: str
) -> None:
    path = tmp_path / "fax.pdf"
    path.write_bytes(PDF)

    async def stream() -> AsyncIterator[bytes]:
        yield PDF[:10]
        yield PDF[10:]

    file: Any = {"bytes": PDF, "path": path, "stream": stream()}[given]
    mocked.put(ANY_URL, payload={"data": {"id": "job-1", "status": "pending"}})
    job = await kazoo.faxes.send(
        to_number="+15555550100",
        from_number="+15555550199",
        file=file,
        content_type="application/pdf" if given == "stream" else None,
    )
    assert isinstance(job, OutgoingFaxJob) and job.id == "job-1"
    [(_, _, request)] = sent(mocked)
    writer = request["data"]
    assert isinstance(writer, aiohttp.MultipartWriter) and writer.headers["Content-Type"].startswith(
        "multipart/mixed"
    )
    parts = list(writer)
    assert [part.content_type for part, *_ in parts] == ["application/json", "application/pdf"]
    assert json.loads(parts[0][0]._value) == {
        "data": {"to_number": "+15555550100", "from_number": "+15555550199"}
    }


async def test_a_document_of_unknown_type_is_refused_before_sending(
    kazoo: AsyncKazoo, mocked: MockAPI
) -> None:
    from aioclicksend import RequestValidationError

    with pytest.raises(RequestValidationError, match="content_type: cannot tell"):
        await kazoo.faxes.send(to_number="1", from_number="2", file=b"not a known document")
    assert sent(mocked) == []


def test_the_address_and_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAZOO_BASE_URL", ROOT)
    monkeypatch.setenv("KAZOO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("KAZOO_AUTH_TOKEN", TOKEN)
    client = AsyncKazoo()
    assert client.base_url == f"{ROOT}/accounts/{ACCOUNT}" and client.has_credentials


async def test_a_lost_connection_while_streaming_is_our_error(kazoo: AsyncKazoo, mocked: MockAPI) -> None:
    mocked.get(ANY_URL, body=PDF, headers={"Content-Type": "application/pdf"})
    document = await kazoo.faxes.outbox.attachment(fax_id="f1")
    document._response.content.set_exception(aiohttp.ClientPayloadError("cut"))
    with pytest.raises(APIConnectionError, match="connection lost while reading the document"):
        await document.read()


async def test_a_50_mb_attachment_is_never_held_whole(tmp_path: Path) -> None:
    """Downloaded over a real socket into a file: peak memory stays a small fraction of the document."""
    size, chunk = 50 * 1024 * 1024, b"\0" * (1024 * 1024)

    async def attachment(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        response.content_length = size
        await response.prepare(request)
        for _ in range(size // len(chunk)):
            await response.write(chunk)
        return response

    app = web.Application()
    app.router.add_get(f"/v2/accounts/{ACCOUNT}/faxes/outbox/{{fax_id}}/attachment", attachment)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    root = f"http://127.0.0.1:{listener.getsockname()[1]}/v2"
    try:
        async with AsyncKazoo(base_url=root, account_id=ACCOUNT, auth_token=TOKEN) as kazoo:
            tracemalloc.start()
            try:
                document = await kazoo.faxes.outbox.attachment(fax_id="big")
                written = await document.save(tmp_path / "big.pdf")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        await runner.cleanup()
    assert written == size == (tmp_path / "big.pdf").stat().st_size
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte document"
