"""Messages read from a database of yours, and a place to save each outcome."""

from collections.abc import Iterator

from aioclicksend import models

n = 100_000


def rows_from_db() -> Iterator[models.SmsMessage]:
    for number in range(n):
        yield models.SmsMessage(to=f"+614{number:08d}", body="Your code is 1234")


def save(*fields: object) -> None:
    print(*fields)


async def readme_block() -> None:
    pass  # the README block
