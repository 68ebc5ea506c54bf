"""Two of the issue's three mistakes: a misspelt keyword argument and a value used as if never None."""

from aioclicksend import AsyncClickSend


async def send(cs: AsyncClickSend) -> None:
    await cs.sms.send(mesages=[{"to": "+61411111111", "body": "hi"}])  # E: call-arg reportCallIssue


async def first_id(cs: AsyncClickSend) -> str:
    sent = await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
    # The answer always holds the messages (typed present), but a message_id may be null (when pricing).
    return sent.messages[0].message_id.upper()  # E: union-attr reportOptionalMemberAccess
