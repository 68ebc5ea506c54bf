"""Inside a coroutine of yours, with a client and messages to send."""

from aioclicksend import AsyncClickSend, models


async def readme_block(cs: AsyncClickSend, messages: list[models.SmsMessage]) -> None:
    pass  # the README block
