"""The issue's third mistake: a misspelt key, or a value of the wrong type, inside a message dict (caught
once the messages are typed by TypedDicts of the spec's request objects, issue 23 item 1)."""

from aioclicksend import AsyncClickSend


async def send(cs: AsyncClickSend) -> None:
    await cs.sms.send(messages=[{"to": "+61411111111", "bdy": "hi"}])  # E: list-item reportArgumentType
    await cs.sms.send(messages=[{"to": "+61411111111", "body": 5}])  # E: list-item reportArgumentType
