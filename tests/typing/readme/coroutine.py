"""Inside a coroutine of yours."""


async def readme_block() -> None:
    pass  # the README block
