"""Unix times a request sends, given as an aware ``datetime`` (a body's field or a query parameter)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["unix_time_of"]


def unix_time_of(value: Any) -> Any:
    """An aware datetime as the Unix time it is (whole seconds); a naive one is refused: ClickSend cannot
    know its zone. Other values unchanged, for the int check that follows."""
    if not isinstance(value, datetime):
        return value
    if value.utcoffset() is None:
        raise ValueError("a datetime without a time zone; give it one, e.g. tzinfo=datetime.timezone.utc")
    return int(value.timestamp())
