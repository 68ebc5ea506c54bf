"""What the SDK knows of one operation: an entry of the table codegen writes from the spec.

The generated ``_generated/operations.py`` holds one :class:`Operation` per operation of the spec; the
generated resources, the request loop, the pagers, the bulk engine, the sandbox and the tests all read
that one table, so nothing derives the same fact from the spec twice.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .rules import MessageRules

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["BulkSend", "Dialect", "LazyModule", "MessageRules", "Operation", "Paging", "Parameter", "page_of"]

_T = TypeVar("_T")


class Dialect(NamedTuple):
    """How an API wraps what it exchanges, as its spec declares it (the generated client carries it)."""

    error_code: str
    """The field of an error answer with the API's error code (ClickSend: ``response_code``)."""
    error_message: str
    """The field with its text; a dotted name reaches into an object (Kazoo: ``data.message``)."""
    envelope_fields: frozenset[str]
    """The fields of the envelope around every JSON answer (its ``data`` among them)."""
    request_envelope: str | None = None
    """The field a request's JSON body is wrapped in (Kazoo: ``data``), if the API wraps bodies."""


class Parameter(NamedTuple):
    """A path or query parameter."""

    name: str
    """As on the wire."""
    location: str
    """``path`` or ``query``."""
    kind: str
    """Its JSON type as the request loop checks it: ``integer``, ``number``, ``string``, ``boolean``, or
    an array of one (``integer[]``)."""
    required: bool = False
    unix_time: bool = False
    """A Unix time (an ``integer``), which may also be given as an aware ``datetime``."""


class Paging(NamedTuple):
    """How a list operation pages (the spec's ``x-pagination``)."""

    style: str
    """``page``: numbered pages (``page`` / ``limit``, ClickSend's PageMeta); ``cursor``: the ``offset``
    of ``_metadata.pagination.next``; ``start-key``: ``start_key`` in the query, ``next_start_key`` in the
    envelope (Kazoo)."""
    items: str
    """The field of the answer's data that holds the items."""


class BulkSend(NamedTuple):
    """How a send operation is split into batches (the spec's ``x-sdk-bulk``)."""

    results: str
    """The answer's array with an entry per recipient."""
    price: str
    """The entry's price field."""
    max_batch: int
    result_item: str
    """The schema of one answer entry."""
    item: str
    """The schema of one message."""
    history: Operation[Any]
    """The list where ``UNKNOWN`` outcomes are looked up."""
    history_by_date: bool
    """Whether that list takes ``date_from`` / ``date_to``."""
    shared: tuple[str, ...] = ()
    """The body's other fields: the same for every batch."""


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[_T]):
    """One operation of the spec; ``_T`` is the type of what it answers (its envelope's ``data``)."""

    id: str
    """The spec's ``operationId``."""
    name: str
    """``resource.method`` as the user calls it, e.g. ``sms.send``: used in errors and logs."""
    method: str
    path: str
    idempotent: bool
    """GET, or marked ``x-idempotent``: safe to repeat after a 5xx or a timeout."""
    result: Callable[[], Any]
    """The answer's data type, resolved on first use (so that models load only when needed)."""
    models: str
    """The module of the generated models the schema names below live in."""
    auth: bool = True
    envelope: bool = True
    """False for operations whose answer is the data itself, not wrapped in the envelope."""
    parameters: tuple[Parameter, ...] = ()
    body: str | None = None
    """The schema of the JSON body, if it takes one."""
    body_required: bool = False
    body_constants: Mapping[str, Any] | None = None
    """Fixed fields beside a wrapped body (Kazoo's resubmit: ``"action": "resubmit"``)."""
    binary: bool = False
    """The answer is a document (streamed: :class:`~aioclicksend.BinaryResponse`), not JSON."""
    accept: str = "application/json"
    """The Accept header sent (a document's: its media types, as the API chooses its answer by it)."""
    multipart: bool = False
    """A document can go in the request with the JSON (``file=``): a ``multipart/mixed`` body."""
    paging: Paging | None = None
    messages: MessageRules | None = None
    """For a send: what each of its messages must hold (checked before sending)."""
    bulk: BulkSend | None = None

    def parameter(self, name: str) -> Parameter | None:
        return next((parameter for parameter in self.parameters if parameter.name == name), None)

    def model(self, schema: str) -> type[BaseModel]:
        """The generated model of a schema this operation names (its body, a bulk item…)."""
        model: type[BaseModel] = _model(self.models, schema)
        return model

    @property
    def result_type(self) -> Any:
        return _resolve(self)


class LazyModule:
    """A module imported when one of its names is first read (the generated models, from the table)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self._name), name)


def page_of(item: Any) -> Any:
    """The answer of a numbered-page list of ``item``s."""
    from .pages import Page

    return Page[item]


@functools.cache
def _model(module: str, schema: str) -> Any:
    return getattr(importlib.import_module(module), schema)


@functools.cache
def _resolve(operation: Operation[Any]) -> Any:
    return operation.result()
