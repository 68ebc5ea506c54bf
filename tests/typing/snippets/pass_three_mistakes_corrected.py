"""The issue's script, its three mistakes corrected: a keyword argument, a value that may be None, and a
message dict's keys (their misspelt forms are in fail_three_mistakes.py and fail_message_dict.py)."""

from typing_extensions import assert_type

from aioclicksend import AsyncClickSend, models


async def send(cs: AsyncClickSend) -> None:
    sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi", "source": "sdk"}])
    assert_type(sent, models.SmsSendResult)
    for message in sent.messages:  # always in the answer: typed present
        assert_type(message, models.SentSms)
        assert_type(message.status, str)
        print(message.message_id.upper() if message.message_id else "no id yet")
