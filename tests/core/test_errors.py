"""Errors: one class per status, the fields they carry, clear messages, and no credentials anywhere."""

from __future__ import annotations

import pickle

import pytest

from aioclicksend import (
    AnswerFieldMissingError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AsyncClickSend,
    AuthenticationError,
    BadRequestError,
    ClickSendError,
    InternalServerError,
    MethodNotAllowedError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from aioclicksend.models import Account
from aioclicksend.params import SmsMessageParam

from ..support import API_KEY, BASE_URL, MockAPI, sent

SEND_URL = f"{BASE_URL}/sms/send"
MESSAGES: list[SmsMessageParam] = [{"to": "+61411111111", "body": "hi"}]


@pytest.mark.parametrize(
    ("status", "error_class", "response_code"),
    [
        (400, BadRequestError, "MISSING_REQUIRED_FIELDS"),
        (401, AuthenticationError, "INVALID_CREDENTIALS"),
        (403, PermissionDeniedError, "INSUFFICIENT_CREDIT"),
        (404, NotFoundError, "NOT_FOUND"),
        (405, MethodNotAllowedError, "METHOD_NOT_ALLOWED"),
        (429, RateLimitError, "TOO_MANY_REQUESTS"),
        (500, InternalServerError, "INTERNAL_ERROR"),
        (503, InternalServerError, "SERVICE_UNAVAILABLE"),
    ],
)
async def test_status_maps_to_its_class(
    client: AsyncClickSend,
    mocked: MockAPI,
    status: int,
    error_class: type[APIStatusError],
    response_code: str,
) -> None:
    envelope = {"http_code": status, "response_code": response_code, "response_msg": "Something is wrong."}
    for _ in range(3):
        mocked.post(SEND_URL, status=status, payload=envelope)
    with pytest.raises(error_class) as caught:
        await client.sms.send(messages=MESSAGES, max_retries=0)
    error = caught.value
    assert type(error) is error_class
    assert isinstance(error, APIStatusError) and isinstance(error, ClickSendError)
    assert (error.status, error.response_code, error.response_msg) == (
        status,
        response_code,
        "Something is wrong.",
    )
    assert (error.method, error.url) == ("POST", SEND_URL)
    assert error.body == envelope
    assert str(error) == f"HTTP {status}: {response_code} Something is wrong. (POST {SEND_URL})"


async def test_unlisted_4xx_is_a_plain_status_error(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(f"{BASE_URL}/account", status=409, payload={"response_code": "ALREADY_EXISTS"})
    with pytest.raises(APIStatusError) as caught:
        await client.account.get()
    assert type(caught.value) is APIStatusError and caught.value.status == 409


async def test_html_502_from_a_proxy_is_a_clear_server_error(client: AsyncClickSend, mocked: MockAPI) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    mocked.post(SEND_URL, status=502, body=page, content_type="text/html")
    with pytest.raises(InternalServerError) as caught:
        await client.sms.send(messages=MESSAGES)
    assert caught.value.status == 502 and caught.value.response_code is None
    assert "non-JSON answer (text/html)" in str(caught.value) and "502 Bad Gateway" in str(caught.value)
    assert caught.value.body == page.encode()


async def test_non_json_success_is_a_response_validation_error(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    mocked.get(f"{BASE_URL}/account", status=200, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(APIResponseValidationError) as caught:
        await client.account.get()
    assert caught.value.status == 200 and "not JSON (text/html)" in str(caught.value)


async def test_answer_of_the_wrong_shape_names_the_field(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(f"{BASE_URL}/account", payload={"data": {"user_id": "not-a-number"}})
    with pytest.raises(
        APIResponseValidationError, match=r"account\.get: answer does not match the spec: user_id"
    ):
        await client.account.get()


async def test_missing_body_is_refused_before_sending(client: AsyncClickSend, mocked: MockAPI) -> None:
    with pytest.raises(RequestValidationError) as caught:
        await client.sms.send(messages=[{"to": "+61411111111"}, {"to": "+61422222222", "body": "ok"}])  # type: ignore[list-item]
    assert str(caught.value) == "sms.send: invalid arguments: messages[0].body: Field required"
    assert isinstance(caught.value, ValueError)
    assert sent(mocked) == []


async def test_misspelt_field_is_refused_not_silently_dropped(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    with pytest.raises(
        RequestValidationError, match=r"messages\[0\]\.custom_strng: Extra inputs are not permitted"
    ):
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi", "custom_strng": "ref-1"}])  # type: ignore[list-item]
    assert sent(mocked) == []


async def test_too_many_messages_are_refused(client: AsyncClickSend, mocked: MockAPI) -> None:
    with pytest.raises(RequestValidationError, match="messages: List should have at most 1000 items"):
        await client.sms.send(messages=[{"to": "+61411111111", "body": "hi"}] * 1001)
    assert sent(mocked) == []


async def test_empty_path_parameter_is_refused(client: AsyncClickSend, mocked: MockAPI) -> None:
    with pytest.raises(
        RequestValidationError, match=r"sms\.cancel: invalid arguments: message_id: must not be empty"
    ):
        await client.sms.cancel(message_id="")
    assert sent(mocked) == []


async def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, mocked: MockAPI) -> None:
    monkeypatch.delenv("CLICKSEND_USERNAME", raising=False)
    monkeypatch.delenv("CLICKSEND_API_KEY", raising=False)
    async with AsyncClickSend(base_url=BASE_URL) as cs:
        with pytest.raises(MissingCredentialsError, match="CLICKSEND_USERNAME"):
            await cs.account.get()
        # Operations the docs mark as public need none.
        mocked.put(f"{BASE_URL}/forgot-password", payload={"http_code": 200, "data": []})
        assert await cs.account.forgot_password(username="someone") == []
    assert len(sent(mocked)) == 1


async def test_credentials_never_appear_in_repr_or_errors(client: AsyncClickSend, mocked: MockAPI) -> None:
    assert API_KEY not in repr(client) and API_KEY not in str(vars(client).get("username"))
    mocked.post(SEND_URL, status=401, payload={"response_code": "INVALID_CREDENTIALS"})
    with pytest.raises(AuthenticationError) as caught:
        await client.sms.send(messages=MESSAGES)
    error = caught.value
    seen = " ".join(
        [str(error), repr(error), error.url, str(error.headers), str(error.body), str(error.args)]
    )
    assert API_KEY not in seen
    assert "Basic " not in seen


async def test_every_kind_of_error_pickles_with_its_message_and_attributes(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    """Errors cross process pools and task queues: each comes back of its class, with what it said."""
    mocked.get(
        f"{BASE_URL}/account",
        status=429,
        payload={"response_code": "TOO_MANY_REQUESTS"},
        headers={"Retry-After": "7"},
    )
    mocked.get(f"{BASE_URL}/account", status=200, body="<html>maintenance</html>", content_type="text/html")
    errors: list[ClickSendError] = []
    for call in (
        lambda: client.account.get(max_retries=0),
        lambda: client.account.get(),
        lambda: client.sms.cancel(message_id=""),
        lambda: client.account.get(),  # nothing mocked: no answer
    ):
        with pytest.raises(ClickSendError) as caught:
            await call()
        errors.append(caught.value)
    with pytest.raises(AnswerFieldMissingError) as missing:
        Account.model_validate({}).user_id  # noqa: B018
    errors.append(missing.value)
    assert [type(error) for error in errors] == [
        RateLimitError,
        APIResponseValidationError,
        RequestValidationError,
        APIConnectionError,
        AnswerFieldMissingError,
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
        assert copy.__dict__.keys() == error.__dict__.keys()
    rate_limited = pickle.loads(pickle.dumps(errors[0]))
    assert isinstance(rate_limited, RateLimitError)
    assert rate_limited.headers["retry-after"] == "7" and rate_limited.status == 429
