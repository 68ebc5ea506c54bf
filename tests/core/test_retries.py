"""The retry policy: what is repeated, what never is, and how long it waits."""

from __future__ import annotations

import email.utils
import logging
import time

import aiohttp
import pytest

from aioclicksend import (
    APIConnectionError,
    APITimeoutError,
    AsyncClickSend,
    BadRequestError,
    InternalServerError,
    RateLimitError,
)
from aioclicksend._core.retry import parse_retry_after, should_retry
from aioclicksend.params import SmsMessageParam

from ..support import API_KEY, BASE_URL, MockAPI, sent

SEND_URL = f"{BASE_URL}/sms/send"
PRICE_URL = f"{BASE_URL}/sms/price"
ACCOUNT_URL = f"{BASE_URL}/account"
MESSAGES: list[SmsMessageParam] = [{"to": "+61411111111", "body": "hi"}]
OK = {"http_code": 200, "response_code": "SUCCESS", "response_msg": "ok", "data": {"total_count": 1}}
ACCOUNT = {"http_code": 200, "response_code": "SUCCESS", "response_msg": "ok", "data": {"user_id": 7}}
THROTTLED = {"http_code": 429, "response_code": "TOO_MANY_REQUESTS", "response_msg": "slow down"}
BROKEN = {"http_code": 500, "response_code": "INTERNAL_ERROR", "response_msg": "oops"}


def connection_refused() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("api.clicksend.test", 443, True, True, None, None, None),
        ConnectionRefusedError(111, "Connection refused"),
    )


async def test_429_waits_for_retry_after_seconds(
    client: AsyncClickSend, mocked: MockAPI, sleeps: list[float]
) -> None:
    mocked.post(SEND_URL, status=429, payload=THROTTLED, headers={"Retry-After": "3"})
    mocked.post(SEND_URL, payload=OK)
    result = await client.sms.send(messages=MESSAGES)
    assert result.total_count == 1
    assert sleeps == [3.0]
    assert len(sent(mocked)) == 2


async def test_429_waits_for_retry_after_http_date(
    client: AsyncClickSend, mocked: MockAPI, sleeps: list[float]
) -> None:
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    mocked.get(ACCOUNT_URL, status=429, payload=THROTTLED, headers={"Retry-After": later})
    mocked.get(ACCOUNT_URL, payload=ACCOUNT)
    assert (await client.account.get()).user_id == 7
    assert len(sleeps) == 1 and 15 < sleeps[0] <= 20


async def test_retry_after_is_capped(client: AsyncClickSend, mocked: MockAPI, sleeps: list[float]) -> None:
    mocked.post(SEND_URL, status=429, payload=THROTTLED, headers={"Retry-After": "86400"})
    mocked.post(SEND_URL, payload=OK)
    await client.sms.send(messages=MESSAGES)
    assert sleeps == [client.retry_policy.max_retry_after]


async def test_429_without_retry_after_backs_off_exponentially(
    client: AsyncClickSend, mocked: MockAPI, sleeps: list[float]
) -> None:
    for _ in range(2):
        mocked.post(SEND_URL, status=429, payload=THROTTLED)
    mocked.post(SEND_URL, payload=OK)
    await client.sms.send(messages=MESSAGES)
    policy = client.retry_policy
    assert len(sleeps) == 2
    assert policy.initial_backoff <= sleeps[0] <= 2 * policy.initial_backoff
    assert all(0 < wait <= policy.max_backoff + policy.initial_backoff for wait in sleeps)


async def test_429_gives_up_after_max_retries(client: AsyncClickSend, mocked: MockAPI) -> None:
    for _ in range(3):
        mocked.post(SEND_URL, status=429, payload=THROTTLED)
    with pytest.raises(RateLimitError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.response_code == "TOO_MANY_REQUESTS"
    assert len(sent(mocked)) == 3  # the first attempt and max_retries=2 retries


async def test_max_retries_per_call(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(SEND_URL, status=429, payload=THROTTLED)
    with pytest.raises(RateLimitError):
        await client.sms.send(messages=MESSAGES, max_retries=0)
    assert len(sent(mocked)) == 1


async def test_5xx_on_get_is_retried(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, status=503, payload=BROKEN)
    mocked.get(ACCOUNT_URL, status=500, payload=BROKEN)
    mocked.get(ACCOUNT_URL, payload=ACCOUNT)
    assert (await client.account.get()).user_id == 7
    assert len(sent(mocked)) == 3


async def test_5xx_on_send_is_not_retried(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(SEND_URL, status=500, payload=BROKEN)
    mocked.post(SEND_URL, payload=OK)
    with pytest.raises(InternalServerError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.status == 500
    assert len(sent(mocked)) == 1


async def test_5xx_on_idempotent_post_is_retried(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(PRICE_URL, status=502, payload=BROKEN)
    mocked.post(PRICE_URL, payload=OK)
    assert (await client.sms.price(messages=MESSAGES)).total_count == 1
    assert len(sent(mocked)) == 2


async def test_refused_connection_is_retried_even_for_a_send(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.post(SEND_URL, exception=connection_refused())
    mocked.post(SEND_URL, payload=OK)
    assert (await client.sms.send(messages=MESSAGES)).total_count == 1
    assert len(sent(mocked)) == 2


async def test_refused_connection_gives_up_with_a_clear_error(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    for _ in range(3):
        mocked.post(SEND_URL, exception=connection_refused())
    with pytest.raises(APIConnectionError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.request_sent is False
    assert "cannot connect" in str(caught.value) and SEND_URL in str(caught.value)


async def test_timeout_after_sending_is_not_retried_for_a_send(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    mocked.post(SEND_URL, exception=TimeoutError())
    mocked.post(SEND_URL, payload=OK)
    with pytest.raises(APITimeoutError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.request_sent is True
    assert len(sent(mocked)) == 1


async def test_connection_lost_mid_request_is_not_retried_for_a_send(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    mocked.post(SEND_URL, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(APIConnectionError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.request_sent is True
    assert len(sent(mocked)) == 1


async def test_timeout_on_get_is_retried(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, exception=TimeoutError())
    mocked.get(ACCOUNT_URL, payload=ACCOUNT)
    assert (await client.account.get()).user_id == 7


async def test_4xx_other_than_429_is_never_retried(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(ACCOUNT_URL, status=400, payload={"response_code": "BAD_REQUEST"})
    with pytest.raises(BadRequestError):
        await client.account.get()
    assert len(sent(mocked)) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_should_retry_never_repeats_a_possibly_sent_send() -> None:
    sent_then_lost = APIConnectionError("lost", method="POST", url="u", request_sent=True)
    never_sent = APIConnectionError("refused", method="POST", url="u", request_sent=False)
    assert not should_retry(sent_then_lost, idempotent=False)
    assert should_retry(sent_then_lost, idempotent=True)
    assert should_retry(never_sent, idempotent=False)
    assert not should_retry(ValueError("bug"), idempotent=True)


async def test_retries_are_logged_at_info_without_secrets(
    client: AsyncClickSend, mocked: MockAPI, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(f"{BASE_URL}/sms/send", status=429, headers={"Retry-After": "0"})
    mocked.post(f"{BASE_URL}/sms/send", payload={"http_code": 200, "data": {"messages": []}})
    with caplog.at_level(logging.DEBUG, logger="aioclicksend"):
        await client.sms.send(messages=[{"to": "+61411111111", "body": "secret body"}])
    lines = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert (logging.INFO, "sms.send: HTTP 429; retrying in 0.00 s (attempt 2 of 3)") in lines
    assert [level for level, text in lines if "POST /sms/send ->" in text] == [logging.DEBUG, logging.DEBUG]
    everything = " ".join(text for _, text in lines)
    assert API_KEY not in everything and "secret body" not in everything and "Basic" not in everything
