"""A test module of yours, testing a job of yours."""

from aioclicksend import AsyncClickSend


async def my_job(cs: AsyncClickSend) -> None:
    await cs.account.get()


pass  # the README block
