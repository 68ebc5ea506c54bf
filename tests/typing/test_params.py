"""What requests take: a Unix time as an aware datetime, sent as its integer (a naive one refused)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aioclicksend import AsyncClickSend, RequestValidationError, models
from aioclicksend.testing import clicksend_sandbox

from ..support import ANY_URL, MockAPI, sent, sent_json


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
