"""Two of the issue's three mistakes: a misspelt keyword argument and a value used as if never None."""

from aioclicksend import AsyncClickSend, models


async def send(cs: AsyncClickSend) -> None:
    await cs.sms.send(mesages=[{"to": "+61411111111", "body": "hi"}])  # E: call-arg reportCallIssue


async def first(cs: AsyncClickSend) -> models.SentSms:
    sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
    return sent.messages[0]  # E: index reportOptionalSubscript
