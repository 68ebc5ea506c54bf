"""Inside a coroutine of yours, with a client, messages, and a place to save each outcome."""

import asyncio
import signal

from aioclicksend import AsyncClickSend, Outcome, models


def save(outcome: Outcome[models.SentSms]) -> None:
    print(outcome)


async def readme_block(cs: AsyncClickSend, rows: list[models.SmsMessage]) -> None:
    pass  # the README block
