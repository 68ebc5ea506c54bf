"""with_raw_response returns a RawResponse of what the method returns, with status, headers and envelope."""

from typing_extensions import assert_type

from aioclicksend import AsyncClickSend, RawResponse, models


async def send(cs: AsyncClickSend) -> None:
    raw = await cs.sms.with_raw_response.send(messages=[{"to": "+61411111111", "body": "hi"}])
    assert_type(raw, RawResponse[models.SmsSendResult])
    assert_type(raw.data, models.SmsSendResult)
    assert_type(raw.status, int)
    print(raw.headers["Content-Type"], raw.response_code, raw.response_msg)
    account = await cs.account.with_raw_response.get()
    assert_type(account.data, models.Account)
