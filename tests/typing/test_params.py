"""The request TypedDicts (``aioclicksend.params``): mypy --strict and pyright strict catch a misspelt key, a
missing required key and a wrong value type in a message dict, and take README-style calls (test_typing.py
checks every README block itself, with its prelude);
a Unix time is taken as an aware datetime and sent as its integer (a naive one refused)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import aioclicksend
import aioclicksend.params
from aioclicksend import AsyncClickSend, RequestValidationError, models
from aioclicksend._generated.resources.sms import SmsResource
from aioclicksend.params import SmsMessageParam
from aioclicksend.testing import clicksend_sandbox

from ..support import ANY_URL, MockAPI, sent, sent_json

BIN = Path(sys.executable).parent
SOURCE = Path(aioclicksend.__file__).resolve().parent.parent  # the src/ the checkers must read
MISTAKES = """\
# pyright: strict
from aioclicksend import AsyncClickSend


async def main(cs: AsyncClickSend) -> None:
    await cs.sms.send(messages=[{"to": "+61411111111", "bdy": "hi"}])  # misspelt key
    await cs.sms.send(messages=[{"to": "+61411111111"}])  # no body
    await cs.sms.send(messages=[{"to": "+61411111111", "body": 5}])  # a number for the text
    cs.voice.send_bulk([{"to": "+61411111111", "body": "hi", "voice": "robot"}])  # not a voice
"""
MISTAKE_LINES = {6, 7, 8, 9}
README_STYLE = """\
# pyright: strict
from datetime import datetime, timezone

from aioclicksend import AsyncClickSend, models
from aioclicksend.kazoo import AsyncKazoo
from aioclicksend.params import SmsMessageParam


async def main(cs: AsyncClickSend, kazoo: AsyncKazoo) -> None:
    sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi", "source": "sdk"}])
    print(sent.messages)
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    await cs.sms.send(messages=[{"from": "Shop", "to": "+61411111111", "body": "later", "schedule": when}])
    await cs.sms.send(messages=[models.SmsMessage(to="+61411111111", body="a model", schedule=when)])
    rows: list[SmsMessageParam] = [{"list_id": 3, "body": "to a list"}]
    await cs.sms.send_bulk(rows, concurrency=4)
    await cs.voice.send(messages=[{"to": "+61411111111", "body": "hi", "voice": "female", "lang": "en-au"}])
    await cs.email.send(to=[{"email": "a@example.com"}], from_={"email_address_id": 1}, body="hi")
    await kazoo.faxes.send(to_number="+15555550100", from_number="+15555550199", document={"url": "http://x/a.pdf"})
"""


def checker_environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SOURCE), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def snippets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snippets")
    (folder / "mistakes.py").write_text(MISTAKES)
    (folder / "readme_style.py").write_text(README_STYLE)
    return folder


def check(snippets: Path, *command: str | Path) -> str:
    """A checker's output on the snippets, run where they are, reading this checkout's src/."""
    run = subprocess.run(
        [
            *command,
            "mistakes.py",
            "readme_style.py",
        ],
        cwd=snippets,
        capture_output=True,
        text=True,
        env=checker_environment(),
        check=False,
    )
    return run.stdout


def test_mypy_reports_each_mistake_and_takes_the_readme_style(snippets: Path) -> None:
    output = check(snippets, BIN / "mypy", "--strict", "--python-version", "3.10")
    errors = [line.split(":") for line in output.splitlines() if ": error:" in line]
    assert {(file, int(line)) for file, line, *_ in errors} == {
        ("mistakes.py", line) for line in MISTAKE_LINES
    }, output


def test_pyright_strict_reports_each_mistake_and_takes_the_readme_style(snippets: Path) -> None:
    output = check(snippets, BIN / "pyright", "--pythonpath", sys.executable, "--outputjson")
    errors = [item for item in json.loads(output)["generalDiagnostics"] if item["severity"] == "error"]
    found = {(Path(item["file"]).name, item["range"]["start"]["line"] + 1) for item in errors}
    assert found == {("mistakes.py", line) for line in MISTAKE_LINES}, errors


def test_the_typeddicts_keep_the_api_keys_and_what_the_spec_requires() -> None:
    assert SmsMessageParam.__required_keys__ == {"body"}
    assert {"from", "to", "schedule", "list_id"} <= SmsMessageParam.__optional_keys__
    assert "from_" not in SmsMessageParam.__optional_keys__


def test_the_params_load_no_model() -> None:
    code = "import sys, aioclicksend.params, aioclicksend.kazoo.params; print('pydantic' in sys.modules)"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=checker_environment(), check=True
    )
    assert run.stdout.strip() == "False"


def test_help_names_the_dict_each_message_is_and_its_keys() -> None:
    doc = " ".join((SmsResource.send.__doc__ or "").split())
    assert "Each :class:`~aioclicksend.params.SmsMessageParam` or its model" in doc
    assert "``body`` (required)" in doc and "``schedule``," in doc


async def test_an_aware_datetime_goes_out_as_its_unix_time(mocked: MockAPI, client: AsyncClickSend) -> None:
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"messages": []}})
    melbourne = timezone(timedelta(hours=10))
    when = datetime(2030, 1, 1, 10, tzinfo=melbourne)  # 2030-01-01 00:00 UTC
    await client.sms.send(messages=[{"to": "+61411111111", "body": "hi", "schedule": when}])
    [(_, _, request)] = sent(mocked)
    assert sent_json(request)["messages"][0]["schedule"] == 1893456000
    assert models.SmsMessage(body="hi", schedule=when).schedule == 1893456000


async def test_a_datetime_schedule_reaches_the_sandbox_as_an_int() -> None:
    when = datetime.now(timezone.utc) + timedelta(days=1)
    async with clicksend_sandbox() as (_, cs):
        result = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi", "schedule": when}])
        [message] = result.messages or []
        assert message.status == "SUCCESS"
        assert message.schedule == int(when.timestamp())


async def test_a_naive_datetime_is_refused_naming_the_field(mocked: MockAPI, client: AsyncClickSend) -> None:
    with pytest.raises(RequestValidationError) as caught:
        await client.sms.send(
            messages=[{"to": "+61411111111", "body": "hi", "schedule": datetime(2030, 1, 1)}]
        )
    [problem] = caught.value.problems
    assert problem.startswith("messages[0].schedule: ") and "without a time zone" in problem
    assert sent(mocked) == []


async def test_a_query_unix_time_takes_an_aware_datetime(mocked: MockAPI, client: AsyncClickSend) -> None:
    mocked.get(ANY_URL, payload={"http_code": 200, "data": {"data": [], "current_page": 1, "last_page": 1}})
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    await client.sms.history.list(date_from=start, date_to=1893459600)
    [(_, url, _)] = sent(mocked)
    assert (url.query["date_from"], url.query["date_to"]) == ("1893456000", "1893459600")
    with pytest.raises(RequestValidationError) as caught:
        await client.sms.history.list(date_from=datetime(2030, 1, 1))
    assert caught.value.problems == [
        "date_from: a datetime without a time zone; give it one, e.g. tzinfo=datetime.timezone.utc"
    ]
    with pytest.raises(RequestValidationError, match=r"limit: must be an? integer, not datetime"):
        await client.sms.history.list(limit=start)  # type: ignore[arg-type]  # only Unix times take one


def test_each_key_carries_the_docs_text_where_pyright_shows_it() -> None:
    """A hover on a key shows the docstring under it in the class (pyright reads attribute docstrings)."""
    source = Path(aioclicksend.params.__file__).parent / "_generated" / "params.py"
    [message] = [
        node
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "SmsMessageParam"
    ]
    documented = {
        key.target.id: text.value.value
        for key, text in zip(message.body, message.body[1:], strict=False)
        if isinstance(key, ast.AnnAssign) and isinstance(key.target, ast.Name)
        if isinstance(text, ast.Expr) and isinstance(text.value, ast.Constant)
    }
    assert documented["body"] == "The message text."
    assert documented["schedule"] == "Unix time to send at; leave out to send now."
    assert len(documented) == len(SmsMessageParam.__annotations__) - 1  # "from" is told in the class's own
    assert "``from``: Sender ID" in (SmsMessageParam.__doc__ or "")
