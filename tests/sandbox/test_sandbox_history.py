"""The sandbox's message histories at scale: a page, a date range and a search cost what they return."""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import aiohttp
import pytest

from aioclicksend import AsyncClickSend
from aioclicksend.sandbox import SandboxServer
from aioclicksend.sandbox.clicksend import _base as clicksend_base

Sandbox = tuple[SandboxServer, AsyncClickSend]
START = 1_700_000_000
"""The unix time of the first message of a large history."""
LARGE = 100_000
"""Messages in a large history: ten a second from START."""
AUTH = {"Authorization": "Basic " + base64.b64encode(b"user:key").decode()}


class Watched(dict[str, Any]):
    """A message that notes in ``read`` (by id) whenever one of its fields is read."""

    read: ClassVar[set[int]] = set()

    def __getitem__(self, key: str) -> Any:
        Watched.read.add(id(self))
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        Watched.read.add(id(self))
        return super().get(key, default)


def fill_large_history(server: SandboxServer) -> None:
    """LARGE SMS, ``m<n>`` sent at ``START + n // 10`` with custom_string ``c<n>``."""
    for number in range(LARGE):
        message = {"message_id": f"m{number}", "date": START + number // 10, "custom_string": f"c{number}"}
        server.state.store.record("sms", Watched(message))
    Watched.read.clear()


async def test_a_page_of_a_large_history_reads_only_its_own_messages(sandbox: Sandbox) -> None:
    server, cs = sandbox
    fill_large_history(server)
    page = await cs.sms.history.list(page=700, limit=100)
    assert (page.total, [message.message_id for message in page.data][::99]) == (LARGE, ["m69900", "m69999"])
    assert len(Watched.read) == 100


async def test_a_date_range_of_a_large_history_is_found_without_reading_it_all(sandbox: Sandbox) -> None:
    server, cs = sandbox
    fill_large_history(server)
    page = await cs.sms.history.list(date_from=START + 5000, date_to=START + 5999, page=3, limit=100)
    assert (page.total, [message.message_id for message in page.data][::99]) == (10_000, ["m50200", "m50299"])
    assert len(Watched.read) <= 100 + 2 * LARGE.bit_length()  # the page, and the bisections' probes


async def test_hundreds_of_custom_string_searches_read_only_what_they_find(sandbox: Sandbox) -> None:
    """A client resuming a bulk send looks up its messages one by one, by custom_string."""
    server, cs = sandbox
    fill_large_history(server)
    wanted = range(0, LARGE, LARGE // 200)
    for number in wanted:
        page = await cs.sms.history.list(q=f"custom_string:C{number}")
        assert [message.message_id for message in page.data] == [f"m{number}"]
    assert len(Watched.read) == len(wanted)


async def test_searches_for_dozens_of_custom_strings_at_once_read_only_what_they_find(
    sandbox: Sandbox,
) -> None:
    """As a resume asks: q=custom_string:A,custom_string:B,... with operator=OR, within a date range."""
    server, cs = sandbox
    fill_large_history(server)
    wanted = [f"c{number}" for number in range(LARGE // 2, LARGE, LARGE // 400)]
    found: list[str | None] = []
    for first in range(0, len(wanted), 40):
        q = ",".join(f"custom_string:{custom}" for custom in wanted[first : first + 40])
        pager = cs.sms.history.list(
            q=q, operator="OR", date_from=START + LARGE // 20, date_to=START + LARGE // 10
        )
        found += [message.custom_string async for message in pager]
    assert found == wanted and len(Watched.read) == len(wanted)


# --- the q search --------------------------------------------------------------------------------------------

TO_ANN, TO_BOB, NOWHERE = "+61411111111", "+61422222222", "+61491570006"  # NOWHERE: receipted undelivered


async def searched(cs: AsyncClickSend, q: str, **query: Any) -> list[str | None]:
    """The custom_string of each SMS of the history the search finds."""
    return [message.custom_string async for message in cs.sms.history.list(q=q, **query)]


async def test_the_sms_history_is_searched_by_field_value_pairs(sandbox: Sandbox) -> None:
    _, cs = sandbox
    await cs.sms.send(
        messages=[
            {"to": TO_ANN, "body": "hi", "custom_string": "Batch7:1"},
            {"to": TO_BOB, "body": "hi", "custom_string": "batch7:2"},
            {"to": TO_ANN, "body": "hi", "custom_string": "batch7"},
            {"to": NOWHERE, "body": "hi", "custom_string": "batch7:4"},
        ]
    )
    assert await searched(cs, "CUSTOM_STRING:BATCH7:1") == ["Batch7:1"]  # split at the first colon
    assert await searched(cs, "custom_string:batch7") == ["batch7"]  # the whole value, not a prefix
    assert await searched(cs, f"to:{TO_ANN},custom_string:batch7") == ["batch7"]
    assert await searched(cs, f"to:{TO_ANN},custom_string:batch7:2") == []
    assert await searched(cs, f"to:{TO_BOB},custom_string:batch7", operator="OR") == ["batch7:2", "batch7"]
    assert await searched(cs, f"to:{TO_ANN},status_code:201", operator="AND") == ["Batch7:1", "batch7"]
    assert await searched(cs, "status:failed") == ["batch7:4"]  # the status as the history shows it
    assert await searched(cs, "no_such_field:batch7") == []
    assert await searched(cs, "no_such_field:x,custom_string:batch7", operator="OR") == ["batch7"]
    assert await searched(cs, "no_such_field:x", operator="OR") == []


async def test_a_search_is_within_the_date_range(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    _, cs = sandbox
    for moment in (START, START + 60, START + 120):
        monkeypatch.setattr(clicksend_base, "clock", lambda moment=moment: moment)
        await cs.sms.send(
            messages=[
                {"to": TO_ANN, "body": f"at {moment}", "custom_string": "daily"},
                {"to": TO_BOB, "body": f"at {moment}", "custom_string": "weekly"},
            ]
        )
    found = cs.sms.history.list(q="custom_string:daily", date_from=START + 1, date_to=START + 120)
    assert [message.body async for message in found] == [f"at {START + 60}", f"at {START + 120}"]
    assert await searched(cs, f"to:{TO_BOB}", date_to=START + 59) == ["weekly"]


@pytest.mark.parametrize("channel", ["mms", "fax"])
async def test_the_mms_and_fax_histories_are_searched_too(sandbox: Sandbox, channel: str) -> None:
    server, cs = sandbox
    for number in range(3):
        server.state.store.record(
            channel, {"message_id": f"m{number}", "date": START, "custom_string": f"c{number}"}
        )
    history = cs.mms.history if channel == "mms" else cs.fax.history
    assert [message.message_id async for message in history.list(q="custom_string:c1")] == ["m1"]


@pytest.mark.parametrize("q", ["custom_string", "custom_string:a,b", ","])
async def test_a_search_pair_without_a_colon_is_a_clicksend_400_naming_q(sandbox: Sandbox, q: str) -> None:
    server, _ = sandbox
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.base_url}/sms/history", params={"q": q}, headers=AUTH) as response,
    ):
        assert response.status == 400
        answer = await response.json()
    assert answer["http_code"] == 400 and answer["response_code"] == "BAD_REQUEST"
    assert answer["response_msg"].startswith(f'q: "{q}" does not match'), "the spec's pattern for q"
