"""Your own session: the client's credentials as your code has them."""

import aiohttp

from aioclicksend import AsyncClickSend


async def readme_block(username: str, api_key: str) -> None:
    pass  # the README block
