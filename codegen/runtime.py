"""What codegen takes from the SDK it generates for. Each fact lives in the runtime module that acts on it
and is read from there, so the generated code and the code it calls cannot disagree: the call options
(``CallOptions``, their defaults from ``RequestOptions``), the options of ``APIResource._request``, the
lenient scalar types of ``_models``, the text rules of ``_message_parts`` and the client's ``Dialect``,
``Paging`` and ``MessageRules``."""

from __future__ import annotations

import dataclasses
import inspect
import types
from dataclasses import dataclass
from typing import Any, ForwardRef, get_args

from aioclicksend._core import models as _models
from aioclicksend._core.client import CallOptions, RequestOptions
from aioclicksend._core.operation import Dialect, Paging
from aioclicksend._core.parts import CHANNELS
from aioclicksend._core.resource import APIResource
from aioclicksend._core.rules import MessageRules

__all__ = [
    "CALL_OPTIONS",
    "CHANNELS",
    "MODELS_MODULE",
    "SCALAR_TYPES",
    "SEND_OPTIONS",
    "UNIX_TIME_INPUT",
    "UPLOAD_OPTIONS",
    "CallOption",
    "Dialect",
    "MessageRules",
    "Paging",
    "ScalarType",
]


@dataclass(frozen=True)
class CallOption:
    """A keyword argument every generated method takes besides the API's own (rendered by the template)."""

    name: str
    annotation: str
    default: str


def _source(annotation: Any) -> str:
    """An annotation as its module writes it (the runtime's modules postpone their annotations)."""
    if isinstance(annotation, ForwardRef):
        return annotation.__forward_arg__
    if not isinstance(annotation, str):
        raise TypeError(f"expected a postponed annotation, not {annotation!r}")
    return annotation


def _call_options() -> tuple[CallOption, ...]:
    defaults = {field.name: field.default for field in dataclasses.fields(RequestOptions)}
    return tuple(
        CallOption(name, _source(annotation), repr(defaults[name]))
        for name, annotation in CallOptions.__annotations__.items()
    )


def _request_options(*names: str) -> tuple[CallOption, ...]:
    parameters = inspect.signature(APIResource._request).parameters
    return tuple(
        CallOption(name, _source(parameters[name].annotation), repr(parameters[name].default))
        for name in names
    )


CALL_OPTIONS = _call_options()
"""The fields of ``CallOptions``, which the resources pass on as they are."""
SEND_OPTIONS = _request_options("allow_truncation")
"""Taken as well by the sends that check their messages (``x-sdk-bulk``)."""
UPLOAD_OPTIONS = _request_options("file", "content_type")
"""Taken as well by the operations that can carry a document in the request (``x-sdk-multipart``)."""


MODELS_MODULE = _models.__name__
"""The module of the models' handwritten bases and lenient types, as the generated models import it."""


@dataclass(frozen=True)
class ScalarType:
    """A schema the SDK takes as a handwritten lenient type of ``aioclicksend._core.models``, not a model."""

    name: str
    argument: str
    """What a method accepts for it."""

    @property
    def path(self) -> str:
        """The runtime type, as the generated models import it."""
        return f"{MODELS_MODULE}.{self.name}"

    @property
    def result(self) -> str:
        """What a model holds: the runtime type's own (``Money``: ``Decimal | None``)."""
        held = get_args(getattr(_models, self.name))[0]
        kinds = get_args(held) if isinstance(held, types.UnionType) else (held,)
        return " | ".join("None" if kind is type(None) else kind.__name__ for kind in kinds)


UNIX_TIME_INPUT = "UnixTimeInput"
"""The schema of a Unix time a request sends, which the SDK also takes as an aware datetime."""
SCALAR_TYPES = {
    scalar.name: scalar
    for scalar in (
        ScalarType("Money", "Decimal | float | str"),
        ScalarType("UnixTime", "int"),
        ScalarType(UNIX_TIME_INPUT, "int | datetime"),
        ScalarType("FormInteger", "int"),  # the lenient integer of pushes, whose forms send text
    )
}
"""The one table of type overrides: the spec's schemas of these names are the runtime's lenient types."""
