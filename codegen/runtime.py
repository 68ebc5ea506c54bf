"""What codegen takes from the SDK it generates for. Each fact lives in the runtime module that acts on it
and is read from there, so the generated code and the code it calls cannot disagree: the call options
(``CallOptions``, their defaults from ``RequestOptions``), the options of ``APIResource._request``, the
lenient scalar types of ``_models``, the text rules of ``_message_parts``, the client's ``Dialect``,
``Paging`` and ``MessageRules``, the settings of a bulk send (``BulkOptions``) and the docs of the
webhook functions."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
from dataclasses import dataclass
from typing import Any, ForwardRef, get_args

from aioclicksend._core import models as _models
from aioclicksend._core.client import CallOptions, RequestOptions
from aioclicksend._core.deprecation import DEPRECATED
from aioclicksend._core.operation import Dialect, Paging
from aioclicksend._core.parts import CHANNELS
from aioclicksend._core.resource import APIResource
from aioclicksend._core.rules import MessageRules
from aioclicksend._core.types import NotGiven
from aioclicksend.bulk.options import BulkOptions
from aioclicksend.webhooks import _parse, _receivers

__all__ = [
    "BULK_OPTIONS",
    "CALL_OPTIONS",
    "CHANNELS",
    "DEPRECATED",
    "MODELS_MODULE",
    "SCALAR_TYPES",
    "SEND_OPTIONS",
    "UNIX_TIME_INPUT",
    "UPLOAD_OPTIONS",
    "WEBHOOK_DOCS",
    "BulkOption",
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


@dataclass(frozen=True)
class BulkOption:
    """A setting of a bulk send: a keyword argument of every ``send_bulk``, ``NOT_GIVEN`` unless given."""

    name: str
    annotation: str
    """Its type in ``BulkOptions``, with ``NotGiven`` (the default: the job's own default applies)."""
    doc: str
    """Its docstring in ``BulkOptions``, on one line."""


def _attribute_docs(typed_dict: type) -> dict[str, str]:
    """The docstring under each key of a TypedDict's source (Python keeps none of them at run time)."""
    body = ast.parse(textwrap.dedent(inspect.getsource(typed_dict))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs = {}
    for key, doc in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(key, ast.AnnAssign)
            and isinstance(key.target, ast.Name)
            and isinstance(doc, ast.Expr)
            and isinstance(doc.value, ast.Constant)
            and isinstance(doc.value.value, str)
        ):
            docs[key.target.id] = " ".join(doc.value.value.split())
    return docs


def _bulk_options() -> tuple[BulkOption, ...]:
    docs = _attribute_docs(BulkOptions)
    options = []
    for name, annotation in BulkOptions.__annotations__.items():
        if name not in docs:
            raise ValueError(f"BulkOptions.{name} has no docstring: send_bulk's docstring shows it")
        source = _source(annotation)
        not_given = NotGiven.__name__
        if not_given not in source.split(" | "):
            source += f" | {not_given}"
        options.append(BulkOption(name, source, docs[name]))
    return tuple(options)


BULK_OPTIONS = _bulk_options()
"""The keys of ``BulkOptions``, in its order: the keyword arguments every ``send_bulk`` takes."""


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


WEBHOOK_DOCS = {
    function.__name__: inspect.getdoc(function) or ""
    for function in (
        _parse.parse,
        _parse.from_aiohttp,
        _parse.from_starlette,
        _receivers.aiohttp_receiver,
        _receivers.starlette_endpoint,
    )
}
"""The docstrings of the webhook functions' implementations, which their overloaded public versions repeat
(``aioclicksend.webhooks._by_kind``, generated)."""
