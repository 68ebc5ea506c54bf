"""Messages nobody can send as JSON (lone surrogates, odd mappings, keys that are not texts): each is one
invalid outcome, the job goes on, and single calls refuse them with RequestValidationError."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from aioclicksend import AsyncClickSend, OutcomeKind, RequestValidationError
from aioclicksend.sandbox import SandboxServer

from ..support import assert_journal_settled

Sandbox = tuple[SandboxServer, AsyncClickSend]

LONE_SURROGATE = json.loads('"\\ud83d"')
"""What a JSON parser gives for half of an emoji's escape: a str Python holds but UTF-8 cannot encode."""


class FailingMapping(Mapping[str, Any]):
    """A mapping of the caller's that raises when it is read."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("the database row went away")

    def __iter__(self) -> Iterator[str]:
        return iter(["to", "body"])

    def __len__(self) -> int:
        return 2


def nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


HOSTILE: dict[int, Any] = {
    7: {"to": "+61411000007", "body": f"half an emoji {LONE_SURROGATE}"},
    1234: {"to": "+61411001234", "body": "fine", "custom_string": LONE_SURROGATE},
    1500: {"to": "+61411001500", "body": "fine", "from": f"A{LONE_SURROGATE}"},
    2000: FailingMapping(),
    2100: {"to": "+61411002100", "body": "fine", 7: "a key that is not a text"},
    2200: {"to": "+61411002200", "body": nested(100_000)},
    2999: {LONE_SURROGATE: "x", "to": "+61411002999", "body": "fine"},
}


def messages(count: int) -> Iterator[Any]:
    for i in range(count):
        yield HOSTILE.get(i, {"to": f"+614110{i:05d}", "body": f"message {i} 😀"})


async def test_one_unencodable_message_is_one_invalid_outcome(sandbox: Sandbox, tmp_path: Path) -> None:
    server, cs = sandbox
    journal = tmp_path / "job.db"
    kinds: Counter[OutcomeKind] = Counter()
    reasons = {}
    async for outcome in cs.sms.send_bulk(messages(3000), journal=journal, batch_size=250):
        kinds[outcome.kind] += 1
        if outcome.kind is OutcomeKind.INVALID:
            reasons[outcome.index] = outcome.reason or ""
    assert kinds == {OutcomeKind.ACCEPTED: 3000 - len(HOSTILE), OutcomeKind.INVALID: len(HOSTILE)}
    assert set(reasons) == set(HOSTILE)
    assert "body: a text with an unpaired surrogate" in reasons[7]
    assert "custom_string: a text with an unpaired surrogate" in reasons[1234]
    assert reasons[1500].startswith("from: ")  # the name it is sent under, not the model's from_
    assert "RuntimeError: the database row went away" in reasons[2000]
    assert sum(server.counters.deliveries.values()) == 3000 - len(HOSTILE)
    assert not [task for task in asyncio.all_tasks() if "BulkJob" in repr(task.get_coro())]  # none pending
    assert_journal_settled(journal)
    # The journal's lock is released on close: the same job runs again in this process, sending nothing.
    again = await cs.sms.send_bulk(messages(3000), journal=journal, batch_size=250)
    assert again.resumed == 3000 - len(HOSTILE) and again.requests == 0
    assert sum(server.counters.deliveries.values()) == 3000 - len(HOSTILE)


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"messages": [{"to": "+61411111111", "body": LONE_SURROGATE}]}, "messages[0].body: a text with"),
        (
            {"messages": [{"to": "+61411111111", "body": "hi"}], "extra_body": {"x": LONE_SURROGATE}},
            "extra_body.x: a text with an unpaired surrogate",
        ),
        (
            {"messages": [{"to": "+61411111111", "body": "hi"}], "extra_body": {"x": object()}},
            "cannot be sent as JSON: TypeError",
        ),
    ],
)
async def test_a_single_call_refuses_what_cannot_be_sent_as_json(
    sandbox: Sandbox, arguments: dict[str, Any], problem: str
) -> None:
    server, cs = sandbox
    with pytest.raises(RequestValidationError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        await cs.sms.send(**arguments)
    assert server.counters.requests.get("SendSms", 0) == 0
