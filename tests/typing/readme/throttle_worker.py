"""A worker's coroutine, which gives back the summary of its send."""

from aioclicksend import BulkSummary, models


async def readme_block(username: str, api_key: str, messages: list[models.SmsMessage]) -> BulkSummary:
    pass  # the README block
    return summary
