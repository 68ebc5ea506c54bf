"""What the spec marks ``deprecated: true`` stays generated and warns at the caller's line when used: an
operation, a query parameter, a request body's field; what is not deprecated does not warn."""

from __future__ import annotations

import filecmp
import importlib
import inspect
import shutil
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aioclicksend import AsyncClickSend
from aioclicksend._core.auth import BasicCredentials
from aioclicksend.params import SmsMessageParam
from aioclicksend.testing import clicksend_sandbox
from codegen.generate import ROOT, ApiSource, generate

from ..support import ANY_URL, MockAPI
from .test_codegen import scratch_spec, write_spec


def deprecated_spec() -> dict[str, Any]:
    """The scratch operation deprecated, with a deprecated query parameter and body field."""
    spec = scratch_spec(["name", "old_name"])
    operation = spec["paths"]["/things"]["post"]
    operation["deprecated"] = True
    operation["parameters"] = [
        {"name": "legacy", "in": "query", "deprecated": True, "schema": {"type": "integer"}},
        {"name": "current", "in": "query", "schema": {"type": "integer"}},
    ]
    spec["components"]["schemas"]["Thing"]["properties"]["old_name"]["deprecated"] = True
    return spec


@pytest.fixture
async def things(tmp_path: Path, package: Path, mocked: MockAPI) -> AsyncIterator[Any]:
    """The scratch client's ``things`` resource, generated from :func:`deprecated_spec`."""
    generate(write_spec(tmp_path / "spec", deprecated_spec()), package / "_generated", tmp_path / "C.md")
    client = importlib.import_module("scratchapi._generated.client").GeneratedClient(
        credentials=BasicCredentials("user", "key"), base_url="https://api.clicksend.test/v3"
    )
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"name": "n"}}, repeat=True)
    async with client:
        yield client.things


async def test_a_deprecated_operation_warns_once_per_call_at_the_callers_line(things: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
            await things.create(name="n", current=1)
            assert [(str(w.message), w.category, w.filename, w.lineno) for w in caught] == [
                (
                    "things.create is deprecated in the spec and may be removed in a later minor version",
                    DeprecationWarning,
                    __file__,
                    line,
                )
            ]
            caught.clear()
        await things.with_raw_response.create(name="n")
    assert [w.filename for w in caught] == [__file__]


async def test_a_deprecated_argument_or_body_field_warns_when_given(things: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await things.create(name="n", legacy=1, old_name="o")
    assert [str(w.message) for w in caught] == [
        "things.create is deprecated in the spec and may be removed in a later minor version",
        "things.create: the argument 'legacy' is deprecated in the spec and may be removed in a later minor version",
        "Thing.old_name is deprecated in the spec and may be removed in a later minor version",
    ]
    assert all(w.category is DeprecationWarning for w in caught)


def test_deprecations_are_noted_in_the_docstrings(things: Any) -> None:
    doc = inspect.getdoc(things.create) or ""
    assert "Create Thing\n\nDeprecated: it may be removed in a later minor version." in doc
    assert "legacy: Deprecated: it may be removed in a later minor version." in doc
    source = inspect.getsource(importlib.import_module("scratchapi._generated.models.thing"))
    assert "old_name: Annotated[str | None, Field(deprecated=True)] = None" in source
    assert '"""\n    Deprecated: it may be removed in a later minor version.\n    """' in source


def test_deprecations_generate_the_same_code_every_time(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "spec", deprecated_spec())
    for run in ("one", "two"):
        generate(source, tmp_path / run, tmp_path / f"{run}.md")
    comparison = filecmp.dircmp(tmp_path / "one", tmp_path / "two")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert sorted(path.name for path in (tmp_path / "one" / "resources").iterdir()) == [
        "__init__.py",
        "things.py",
    ]


async def test_the_sdks_deprecated_field_warns_only_when_given(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    """SmsMessage.contact_id (ClickSend's own spec says it is no longer in use): given, one warning at the
    caller's line; left out, none (warnings are errors here)."""
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"messages": []}}, repeat=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
    with pytest.warns(DeprecationWarning, match=r"^SmsMessage\.contact_id is deprecated") as caught:
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi", "contact_id": 3}])
    assert [w.filename for w in caught] == [__file__]


async def test_a_deprecated_field_in_bulk_messages_warns_once_a_job() -> None:
    """send_bulk checks its messages without a model each, yet warns of SmsMessage.contact_id: once for a
    job of two batches that give it (and still sends them), and not at all for a job that does not."""
    async with clicksend_sandbox() as (_server, cs):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plain = await cs.sms.send_bulk([{"to": "+61411111111", "body": "hi"}] * 3, batch_size=2)
        given: list[SmsMessageParam] = [{"to": "+61411111111", "body": "hi", "contact_id": 3}] * 3
        with pytest.warns(DeprecationWarning, match=r"^SmsMessage\.contact_id is deprecated") as caught:
            line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
            summary = await cs.sms.send_bulk(given, batch_size=2)
    # The checks run in the job's own tasks, yet the warning points at the line that started the job.
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
    assert (plain.accepted, summary.accepted) == (3, 3)


async def test_a_deprecated_sends_bulk_send_warns_and_says_so(tmp_path: Path, package: Path) -> None:
    """Our spec with Send SMS deprecated: send_bulk warns at the caller's line too, and its docstring says so."""
    spec = tmp_path / "openapi"
    shutil.copytree(ROOT / "openapi", spec, ignore=shutil.ignore_patterns("kazoo"))
    sms = spec / "resources" / "sms.yaml"
    document = yaml.safe_load(sms.read_text(encoding="utf-8"))
    document["paths"]["/sms/send"]["post"]["deprecated"] = True
    sms.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    generate(ApiSource(spec, package / "_generated", "ours"), coverage=tmp_path / "COVERAGE.md")
    client = importlib.import_module("scratchapi._generated.client").GeneratedClient(
        credentials=BasicCredentials("user", "key"), base_url="https://api.clicksend.test/v3"
    )
    assert "Deprecated: it may be removed in a later minor version." in (
        inspect.getdoc(client.sms.send_bulk) or ""
    )
    with pytest.warns(DeprecationWarning, match=r"^sms\.send is deprecated") as caught:
        job = client.sms.send_bulk([{"to": "+61411111111", "body": "hi"}])
    assert [w.filename for w in caught] == [__file__]
    assert type(job).__name__ == "BulkJob"  # made, never started: nothing is sent
    await client.close()


def test_a_deprecated_key_of_a_request_typeddict_is_noted_in_its_docstring() -> None:
    """What an editor's hover shows of ``SmsMessageParam["contact_id"]`` (deprecated in our spec)."""
    import ast

    import aioclicksend._generated.params

    tree = ast.parse(Path(inspect.getfile(aioclicksend._generated.params)).read_text(encoding="utf-8"))
    (message,) = [
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "SmsMessageParam"
    ]
    docs = {
        statement.target.id: ast.literal_eval(following.value)
        for statement, following in zip(message.body, message.body[1:], strict=False)
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
        if isinstance(following, ast.Expr)
    }
    assert docs["contact_id"].startswith("Deprecated: it may be removed in a later minor version.")
    assert not docs["body"].startswith("Deprecated")
