"""Small shared types: the NOT_GIVEN sentinel and the lenient value types the spec maps to."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, Literal

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["NOT_GIVEN", "Money", "NotGiven", "UnixTime"]


class NotGiven:
    """Marks a keyword argument the caller left out, so it is not sent (unlike an explicit ``None``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

_NUMERIC = re.compile(r"\s*-?\d+(\.\d+)?\s*")


def _parse_unix_time(value: Any) -> Any:
    """Accept ints, numeric strings (also "1436157486.0") and "" / None as the API sends them."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return int(Decimal(value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _parse_money(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return value  # left for pydantic to reject with a message naming the field
    return value


UnixTime = Annotated[int | None, BeforeValidator(_parse_unix_time)]
"""Unix time in seconds; the API sends ints, numeric strings, or "" for none (read as ``None``)."""

Money = Annotated[
    Decimal | None,
    BeforeValidator(_parse_money),
    PlainSerializer(lambda value: None if value is None else str(value), when_used="json"),
]
"""An amount; the API sends strings ("0.0770") and numbers (0.28); read exactly as ``Decimal``."""
