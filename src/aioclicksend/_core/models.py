"""Base classes and value types the generated models build on: lenient about what the API sends back."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from typing_extensions import Self

from .deprecation import DEPRECATED, warn_deprecated
from .times import unix_time_of

__all__ = [
    "ClickSendModel",
    "ClickSendRequestModel",
    "FormInteger",
    "Money",
    "OpenIntEnum",
    "OpenStrEnum",
    "UnixTime",
    "UnixTimeInput",
]


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


class ClickSendRequestModel(ClickSendModel):
    """Base of the models of what is sent: strict where answers are lenient.

    An unknown field is refused (a typo such as ``{"too": ...}`` never goes out silently dropped), and a
    number given where the spec wants text is refused, not turned into a string.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=False)

    _deprecated_fields: ClassVar[frozenset[str]] = frozenset()
    """The fields the spec marks ``deprecated: true`` (``Field(deprecated=True)``)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields.items()
        cls._deprecated_fields = frozenset(name for name, field in fields if field.deprecated)

    @model_validator(mode="after")
    def _warn_deprecated_fields(self) -> Self:
        """A deprecated field still goes out, with a ``DeprecationWarning`` at the caller's line."""
        for name in sorted(self._deprecated_fields & self.model_fields_set):
            wire_name = type(self).model_fields[name].alias or name
            warn_deprecated(f"{type(self).__name__}.{wire_name} is {DEPRECATED}")
        return self


class OpenStrEnum(str, Enum):
    """A string enum that also accepts values it does not list, so a new API value never breaks parsing.

    An unknown value becomes a member-like object of the enum that is not among its listed members.
    """

    def __str__(self) -> str:
        return str(self.value)  # f"{member}" gives the API's value, as with enum.StrEnum

    @classmethod
    def _missing_(cls, value: Any) -> OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


class OpenIntEnum(IntEnum):
    """An integer enum that also accepts values it does not list, like :class:`OpenStrEnum`."""

    @classmethod
    def _missing_(cls, value: Any) -> OpenIntEnum | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"VALUE_{value}"
        member._value_ = value
        return member


_NUMERIC = re.compile(r"\s*-?\d{1,20}(\.\d{1,20})?\s*")
"""A number as text, as the API writes times. Longer ones are left to pydantic's own int parsing, which
is quick and refuses over 4300 digits: Decimal would take seconds on a hostile push's million."""


def _parse_unix_time(value: Any) -> Any:
    """Accept ints, numeric strings (also "1436157486.0") and "" / None as the API sends them."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return int(Decimal(value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_money(value: Any) -> Any:
    """Money as the API sends it (a string, a number, or "" for none) as a Decimal; other values unchanged."""
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


if TYPE_CHECKING:  # what a caller may pass
    UnixTimeInput = int | datetime
else:  # what pydantic checks: the integer sent
    UnixTimeInput = Annotated[int, BeforeValidator(unix_time_of)]
"""A Unix time a request sends: an int (seconds), or an aware ``datetime``, sent as its Unix time."""

Money = Annotated[Decimal | None, BeforeValidator(parse_money)]
"""An amount; the API sends strings ("0.0770") and numbers (0.28); read exactly as ``Decimal``, and
written in JSON as its text ("0.0770"), as pydantic writes every Decimal."""


def _blank_is_none(value: Any) -> Any:
    """ "" (a form's empty value) and whitespace are no number; anything else is left for pydantic's lax int
    parsing, which takes ints and their digits and refuses the rest with a message naming the field."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


FormInteger = Annotated[int | None, BeforeValidator(_blank_is_none)]
"""An integer of a push: sent as a number, as its digits ("12"), or as "" for none (read as ``None``), as a
form sends every number as text."""
