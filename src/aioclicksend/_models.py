"""Base classes the generated models build on: lenient about what the API sends back."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ClickSendModel", "OpenStrEnum"]


class ClickSendModel(BaseModel):
    """Base of every generated model.

    Unknown fields are kept (``model.model_extra``), fields are filled by name or by the API's alias
    (``from_`` / ``"from"``), numbers arriving where the docs promise strings are accepted, and the
    validation schema is built on first use so that importing hundreds of models stays cheap.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        defer_build=True,
    )


class OpenStrEnum(str, Enum):
    """A string enum that also accepts values it does not list, so a new API value never breaks parsing.

    An unknown value becomes a member-like object of the enum that is not among its listed members.
    """

    @classmethod
    def _missing_(cls, value: Any) -> OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
