"""Your app's secret and what it does with a push."""

SECRET = "s3cret"


async def save_reply(*fields: object) -> None:
    print(*fields)


async def flag(*fields: object) -> None:
    print(*fields)


pass  # the README block
