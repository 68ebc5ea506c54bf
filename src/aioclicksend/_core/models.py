"""Base classes and value types the generated models build on: lenient about what the API sends back."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import MISSING
from typing_extensions import Self

from .deprecation import deprecated_field, warn_deprecated
from .exceptions import AnswerFieldMissingError
from .times import unix_time_of

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo
    from pydantic.main import ReprArgs

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

    A field the spec marks required (one ClickSend always sends, typed without ``None``) is checked when
    it is read, not when the answer is parsed: an answer without it still parses, and reading it raises
    :class:`AnswerFieldMissingError`, as does reading it when the answer gave null (never a silent
    ``None`` in a field typed as present). Dumps, ``repr``, ``==``, copies and pickles leave such a
    missing field out, as the answer did. A model made by hand (an answer for a test of yours) may leave
    them out the same way: ``SmsReceiptRule(rule_name="x")`` works, reading its ``receipt_rule_id``
    raises, and type checkers, which see the field as required, ask for it.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        defer_build=True,
    )
    _required_on_read: ClassVar[bool] = True
    """Whether the required fields are checked when read (answers) or when parsed (requests)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls._required_on_read:
            for name, field in cls.__pydantic_fields__.items():
                if field.is_required():  # (a field inherited from a model checked on read has MISSING as
                    _check_on_read(cls, name, field)  # its default here, and its check from the parent)

    def __repr_args__(self) -> ReprArgs:
        return [(name, value) for name, value in super().__repr_args__() if value is not MISSING]


class ClickSendRequestModel(ClickSendModel):
    """Base of the models of what is sent: strict where answers are lenient.

    An unknown field is refused (a typo such as ``{"too": ...}`` never goes out silently dropped), a
    number given where the spec wants text is refused, not turned into a string, and a required field
    left out is refused when the model is made.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=False)
    _required_on_read: ClassVar[bool] = False

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
            warn_deprecated(deprecated_field(type(self), wire_name))
        return self


class _CheckedOnRead:
    """A required answer field, read through this data descriptor (which takes precedence over the
    instance's ``__dict__``, where pydantic keeps the value): the value, or our error for ``MISSING``
    (the field was left out) and for ``None`` where the spec's type has no null."""

    __slots__ = ("label", "name", "nullable")

    def __init__(self, name: str, label: str, nullable: bool) -> None:
        self.name = name
        self.label = label
        self.nullable = nullable

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:  # read on the class: none, as for pydantic's fields without a default
            raise AttributeError(self.name)  # (a subclass then copies the field, and warns of nothing)
        value = instance.__dict__.get(self.name, MISSING)
        if value is not None and value is not MISSING:  # the usual case first: each read passes here
            return value
        if value is None and self.nullable:
            return None
        raise AnswerFieldMissingError(type(instance).__name__, self.label, null=value is None)

    def __set__(self, instance: object, value: Any) -> None:
        instance.__dict__[self.name] = value


def value_given(model: object, name: str) -> Any:
    """A field of an answer as it came, ``None`` when it was left out or null (a field the spec marks
    required too): for the SDK's own reads (paging, the bulk engine's history lookups), which go on
    without a value where a user's read raises."""
    try:
        return getattr(model, name, None)
    except AnswerFieldMissingError:
        return None


def _check_on_read(cls: type[ClickSendModel], name: str, field: FieldInfo) -> None:
    """Make a required field of an answer model optional for parsing (``MISSING`` when left out, and
    null taken) and checked when read; its annotation for type checkers stays what the code says."""
    annotation: Any = field.annotation  # a type at run time: ``X | None`` below is too
    nullable = annotation in (None, Any, type(None)) or type(None) in get_args(annotation)
    if not nullable:
        field.annotation = annotation | None
    field.default = MISSING
    label = name if field.alias in (None, name) else f"{name} (the answer's {field.alias!r})"
    setattr(cls, name, _CheckedOnRead(name, label, nullable))


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
