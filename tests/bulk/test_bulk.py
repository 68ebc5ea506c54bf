"""Bulk sending against the embedded sandbox: checks, batching, outcomes, stopping, every channel."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any, cast

import pytest
from pydantic import TypeAdapter, ValidationError

from aioclicksend import (
    NOT_GIVEN,
    AsyncClickSend,
    BulkJob,
    BulkOptions,
    BulkSummary,
    ClientStateError,
    Outcome,
    OutcomeKind,
    RequestValidationError,
    reconcile,
    tqdm_progress,
)
from aioclicksend._core.operation import Operation
from aioclicksend.bulk.checks import BatchChecker
from aioclicksend.bulk.rate import AdaptiveRate
from aioclicksend.params import PostRecipientParam, SmsMessageParam
from aioclicksend.sandbox import SandboxServer

from ..support import API_KEY, BASE_URL, OPERATIONS, USERNAME, by_name, example, operation_of


def sms(count: int, start: int = 0) -> Iterator[SmsMessageParam]:
    return ({"to": f"+614{i:08d}", "body": f"message {i}"} for i in range(start, start + count))


async def test_outcomes_summary_and_batches(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    # The last two are refused at run time (no recipient, no text), as a type checker would refuse them.
    given: list[Any] = [
        *sms(2500),
        {"to": "nope", "body": "x"},
        {"body": "no recipient"},
        {"to": "+61411111111"},
    ]
    progress: list[int] = []
    job = cs.sms.send_bulk(
        given, batch_size=1000, on_progress=lambda summary: progress.append(summary.settled)
    )
    outcomes = [outcome async for outcome in job]

    assert sorted(outcome.index for outcome in outcomes) == list(range(2503))
    by_index = {outcome.index: outcome for outcome in outcomes}
    assert by_index[2500].kind is OutcomeKind.REJECTED and by_index[2500].status == "INVALID_RECIPIENT"
    assert by_index[2501].kind is OutcomeKind.INVALID and by_index[2501].reason == "needs to or list_id"
    assert by_index[2502].kind is OutcomeKind.INVALID and by_index[2502].reason == "body: Field required"
    first = by_index[0]
    assert first.kind is OutcomeKind.ACCEPTED and first.status == "SUCCESS" and first.price > 0
    assert first.custom_string == f"{job.tag}:0" and first.results[0].message_id
    summary = job.summary
    assert (summary.accepted, summary.rejected, summary.invalid, summary.unknown) == (2500, 1, 2, 0)
    assert summary.finished and summary.requests == 3 and summary.cost == sum(o.price for o in outcomes)
    assert summary.started_at is not None and summary.started_at <= time.time()
    assert server.counters.requests["SendSms"] == 3 and server.counters.duplicates() == {}
    assert progress[-1] == 2503 and progress == sorted(progress)
    with pytest.raises(ClientStateError, match="runs once"):
        await job


async def test_await_gives_the_summary_and_keeps_custom_strings(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    _, cs = sandbox
    summary = await cs.sms.send_bulk(
        [{"to": "+61411111111", "body": "a", "custom_string": "mine"}, *sms(10)], tag="job7"
    )
    assert isinstance(summary, BulkSummary) and summary.accepted == 11
    history = {message.custom_string async for message in cs.sms.history.list()}
    assert history == {"mine", *(f"job7:{i}" for i in range(1, 11))}
    assert "11/11 messages: 11 accepted" in str(summary)


async def test_async_input_is_read_lazily(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    produced = 0

    async def source() -> AsyncIterator[SmsMessageParam]:
        nonlocal produced
        for message in sms(100_000):
            produced += 1
            yield message

    async with cs.sms.send_bulk(source(), batch_size=100, concurrency=2) as job:
        seen = 0
        async for _ in job:
            seen += 1
            if seen == 500:
                break
        # Only the batches queued and in flight were read ahead, not the whole input.
        assert produced < 2_000
    assert job.summary.finished and job.summary.settled == job.summary.handed_out == produced


async def test_cancelling_accounts_for_every_message(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.latency_ms = 200
    job = cs.sms.send_bulk(sms(10_000), batch_size=100, concurrency=4)
    task = asyncio.create_task(job._drain())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    summary = job.summary
    assert summary.finished and summary.stopped == "cancelled"
    assert summary.settled == summary.handed_out < 10_000
    # Whole batches: those in flight (at most the four workers') may have reached ClickSend.
    assert summary.unknown % 100 == 0 and 0 < summary.unknown <= 400
    assert summary.not_sent > 0
    await asyncio.sleep(0.3)
    reconciled = await job.reconcile()
    delivered = {key for _, key in server.counters.deliveries}
    assert all((o.kind is OutcomeKind.ACCEPTED) == (o.custom_string in delivered) for o in reconciled)


async def test_stop_finishes_what_was_handed_out(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    job = cs.sms.send_bulk(sms(5_000), batch_size=100, concurrency=2)
    async for outcome in job:
        if outcome.index == 150:
            job.stop()
    summary = job.summary
    assert summary.stopped == "stopped by the caller" and summary.unknown == summary.not_sent == 0
    assert summary.accepted == summary.handed_out < 5_000


async def test_refused_account_stops_the_job(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, _ = sandbox
    async with AsyncClickSend("banned", "key", base_url=server.base_url) as banned:
        job = banned.sms.send_bulk(sms(3_000), batch_size=100, concurrency=2)
        outcomes = [outcome async for outcome in job]
    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.NOT_SENT}
    assert "ACCOUNT_BANNED" in (outcomes[0].reason or "")
    assert job.summary.stopped is not None and "refused the account" in job.summary.stopped
    assert len(outcomes) == job.summary.handed_out < 3_000


async def test_failing_input_is_reported_after_accounting(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    _, cs = sandbox

    def source() -> Iterator[SmsMessageParam]:
        yield from sms(150)
        raise OSError("cursor lost")

    job = cs.sms.send_bulk(source(), batch_size=100)
    seen: list[Outcome[Any]] = []
    with pytest.raises(OSError, match="cursor lost"):
        async for outcome in job:
            seen.append(outcome)
    assert len(seen) == 150 and job.summary.accepted == 150
    assert job.summary.stopped == "the messages iterable raised OSError: cursor lost"


async def test_long_texts_and_bad_messages_are_invalid(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    given: list[Any] = [
        {"to": "+61411111111", "body": "a" * 919},
        {"to": "+61411111111", "body": "ж" * 403},
        {"to": "+61411111111", "body": "ok", "colour": "red"},
        "not a message",
        {"to": "+61411111111", "body": ""},
    ]
    outcomes = [outcome async for outcome in cs.sms.send_bulk(given)]
    reasons = [outcome.reason for outcome in outcomes]
    assert reasons == [
        "body: 919 gsm characters, more than the 918 ClickSend sends without truncating (allow_truncation=True sends it anyway)",
        "body: 403 unicode characters, more than the 402 ClickSend sends without truncating (allow_truncation=True sends it anyway)",
        "colour: Extra inputs are not permitted",
        "a message must be a mapping or a model, not str",
        "body: is empty",
    ]
    sent = await cs.sms.send_bulk([given[0]], allow_truncation=True)
    assert sent.accepted == 1


async def test_list_ids_expand_and_match_by_custom_string(
    sandbox: tuple[SandboxServer, AsyncClickSend],
) -> None:
    _, cs = sandbox
    contact_list = await cs.contact_lists.create(list_name="Team")
    assert contact_list.list_id is not None
    for number in range(3):
        await cs.contacts.create(list_id=contact_list.list_id, phone_number=f"+6141100000{number}")
    given: list[SmsMessageParam] = [
        {"list_id": contact_list.list_id, "body": "to the team"},
        {"to": "+61422222222", "body": "solo"},
    ]
    outcomes = sorted(
        [outcome async for outcome in cs.sms.send_bulk(given)], key=lambda outcome: outcome.index
    )
    assert [len(outcome.results) for outcome in outcomes] == [3, 1]
    assert outcomes[0].kind is OutcomeKind.ACCEPTED and outcomes[0].price == 3 * outcomes[1].price


async def test_every_channel(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    numbers = [f"+6141111111{i}" for i in range(3)]
    address: PostRecipientParam = {
        "address_name": "A",
        "address_line_1": "1 St",
        "address_city": "Perth",
        "address_postal_code": "6000",
        "address_country": "AU",
        "return_address_id": 1,
    }
    jobs: dict[str, BulkJob[Any]] = {
        "mms": cs.mms.send_bulk(
            [{"to": to, "body": "b", "subject": "s"} for to in numbers], media_file="https://x/a.jpg"
        ),
        "voice": cs.voice.send_bulk([{"to": to, "body": "b", "voice": "female"} for to in numbers]),
        "fax": cs.fax.send_bulk([{"to": to} for to in numbers], file_url="https://x/a.pdf"),
        "post/letters": cs.post.letters.send_bulk([address] * 3, file_url="https://x/a.pdf"),
        "post/postcards": cs.post.postcards.send_bulk([address] * 3, file_urls=["https://x/a.pdf"]),
    }
    for channel, job in jobs.items():
        summary = await job
        assert summary.accepted == 3, (channel, summary)
        assert summary.cost > 0
        assert sum(1 for key in server.counters.deliveries if key[0] == channel) == 3
    history = [letter async for letter in cs.post.letters.history.list()]
    assert len(history) == 3 and all(letter.custom_string for letter in history)


@pytest.mark.parametrize("channel", ["sms", "mms", "voice", "fax", "post.letters", "post.postcards"])
def test_every_setting_is_a_documented_keyword_argument_of_send_bulk(channel: str) -> None:
    """The settings in the signature, as editors and checkers show them (read from BulkOptions by codegen)."""
    resource: Any = AsyncClickSend(USERNAME, API_KEY)
    for part in channel.split("."):
        resource = getattr(resource, part)
    parameters = inspect.signature(resource.send_bulk).parameters
    for name in BulkOptions.__annotations__:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[name].default is NOT_GIVEN
        assert f"\n            {name}: " in resource.send_bulk.__doc__


async def test_settings_and_shared_fields_are_checked(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    _, cs = sandbox
    with pytest.raises(RequestValidationError) as caught:
        cs.sms.send_bulk(sms(1), concurrency=0, batch_size=1001, max_rate=-1, max_retries=-1)
    assert caught.value.problems == [
        "concurrency: must be 1 or more, not 0",
        "batch_size: must be 1 to 1000, not 1001",
        "max_retries: must be an int of 0 or more, not -1",
        "max_rate: must be a positive number of requests a second, not -1",
    ]
    with pytest.raises(RequestValidationError, match="media_file: Input should be a valid string"):
        cs.mms.send_bulk([], media_file=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        cs.sms.send_bulk([], colour=1)  # type: ignore[call-arg]
    with pytest.raises(
        RequestValidationError, match="must be an iterable or async iterable of messages, not dict"
    ):
        cs.sms.send_bulk(cast(Any, {"to": "+61411111111", "body": "x"}))


async def test_reconcile_needs_custom_strings() -> None:
    async def nothing() -> AsyncIterator[Any]:
        return
        yield

    unknown: Outcome[Any] = Outcome(3, OutcomeKind.UNKNOWN, {}, None)
    with pytest.raises(ValueError, match="input positions \\[3\\]"):
        await reconcile([unknown], nothing())
    resolved = await reconcile([Outcome(4, OutcomeKind.UNKNOWN, {}, "t:4")], nothing())
    assert resolved[0].kind is OutcomeKind.NOT_SENT and resolved[0].index == 4


async def test_tqdm_progress_draws_a_bar(
    sandbox: tuple[SandboxServer, AsyncClickSend], capsys: pytest.CaptureFixture[str]
) -> None:
    _, cs = sandbox
    await cs.sms.send_bulk(sms(300), batch_size=100, on_progress=tqdm_progress(total=300, file=None))
    drawn = capsys.readouterr().err
    assert "300/300" in drawn and "accepted=300" in drawn


def test_adaptive_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("aioclicksend.bulk.rate.time.monotonic", lambda: clock[0])
    rate = AdaptiveRate(max_rate=20, quiet_period=3)
    for _ in range(10):  # 10 requests served in the last second
        rate._starts.append(clock[0])
        rate.succeeded()
        clock[0] += 0.1
    rate.throttled()
    assert rate.rate == pytest.approx(9.0)  # 90 % of the 10 a second the server took
    rate.throttled()  # the same burst
    assert rate.rate == pytest.approx(9.0)
    clock[0] += 2
    rate._recover(clock[0])
    assert rate.rate == pytest.approx(9.0)  # not quiet long enough
    for _ in range(4):
        clock[0] += 1
        rate._recover(clock[0])
    assert rate.rate == 20  # back up, capped at max_rate
    unlimited = AdaptiveRate()
    unlimited.throttled()
    assert unlimited.rate is not None
    for _ in range(30):
        clock[0] += 1
        unlimited._recover(clock[0])
    assert unlimited.rate is None  # the limit is lifted again


async def test_an_unreadable_answer_field_spoils_only_its_read(client: AsyncClickSend, mocked: Any) -> None:
    entry = {"to": "+61411111111", "status": "SUCCESS", "message_price": "0.0770", "message_parts": "many"}
    mocked.post(
        f"{BASE_URL}/sms/send",
        payload={
            "http_code": 200,
            "data": {"total_price": 0.077, "messages": [{**entry, "custom_string": "a"}]},
        },
    )
    [outcome] = [
        o async for o in client.sms.send_bulk([{"to": "+61411111111", "body": "hi", "custom_string": "a"}])
    ]
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.price == Decimal("0.0770")
    assert len(outcome.results) == 1
    with pytest.raises(ValidationError, match="message_parts"):
        outcome.results[0]


BULK_SENDS = [operation for operation in OPERATIONS if operation.bulk is not None]


@pytest.mark.parametrize("operation", BULK_SENDS, ids=by_name)
def test_checks_read_messages_as_the_spec_model_does(operation: Operation[Any]) -> None:
    """The checker validates plain dicts (a TypedDict of the item model) for speed: what it sends and
    refuses must be what the model itself would send and refuse."""
    assert operation.bulk is not None and operation.messages is not None
    model = operation.model(operation.bulk.item)
    items = example(operation_of(operation).get("requestBody"))[operation.messages.items]
    by_name_given = [
        {
            name: item[info.alias or name]
            for name, info in model.model_fields.items()
            if (info.alias or name) in item
        }
        for item in items
    ]
    wrong = [{**items[0], "colour": "red"}, {**items[0], "custom_string": 7}, dict.fromkeys(items[0], 12.5)]
    checker = BatchChecker(model, operation.messages, allow_truncation=True, tag="t")
    given = [*items, *by_name_given, *wrong]
    checked, invalid = checker.check(range(10, 10 + len(given)), given)
    expected = [
        model.model_validate({"custom_string": f"t:{10 + at}", **item}) for at, item in enumerate(items)
    ]
    expected += [
        model.model_validate({"custom_string": f"t:{10 + len(items) + at}", **item})
        for at, item in enumerate(items)
    ]
    as_json = TypeAdapter(list[model]).dump_json(  # type: ignore[valid-type]
        expected, by_alias=True, exclude_unset=True, exclude_none=True
    )
    assert checked.json == as_json[1:-1]
    assert checked.messages.indices == list(range(10, 10 + 2 * len(items)))
    for found, message in zip(invalid, wrong, strict=True):
        with pytest.raises(ValidationError) as caught:
            model.model_validate(message)
        said = {f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in caught.value.errors()}
        assert set(found.reason.split("; ")) == said, (found.reason, said)
