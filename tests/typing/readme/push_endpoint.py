"""The handler of the aiohttp example above, for a Starlette app."""

from aioclicksend import models, webhooks

SECRET = "s3cret"


async def on_sms(push: models.InboundSmsPush) -> None:
    print(push.body)


pass  # the README block
