"""The sandbox's message histories at scale: a page, a date range and a search cost what they return."""

from __future__ import annotations

from typing import Any, ClassVar

from aioclicksend import AsyncClickSend
from aioclicksend.sandbox import SandboxServer

Sandbox = tuple[SandboxServer, AsyncClickSend]
START = 1_700_000_000
"""The unix time of the first message of a large history."""
LARGE = 100_000
"""Messages in a large history: ten a second from START."""


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
