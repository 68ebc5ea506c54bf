"""The intermediate representation: the plain descriptions the readers make of the spec, which the
templates render. Nothing here reads the spec; the readers (``parameters``, ``request_body``,
``responses``, ``paging``, ``bulk``, ``messages``, ``webhooks``) fill these, ``operations`` puts them
together."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from .names import python_name, snake_case
from .runtime import (
    CALL_OPTIONS,
    DEPRECATED,
    SEND_OPTIONS,
    UPLOAD_OPTIONS,
    CallOption,
    MessageRules,
    Paging,
)

DEPRECATED_NOTE = "Deprecated: it may be removed in a later minor version."
"""What the docstring of a deprecated method, argument or model field begins with."""


@dataclass
class Argument:
    name: str  # Python keyword argument
    wire_name: str  # name in the path, query or body
    location: str  # "path", "query" or "body"
    annotation: str
    required: bool
    description: str = ""
    kind: str = ""  # path and query: the JSON type the request loop checks ("integer", "string[]"…)
    deprecated: bool = False  # deprecated: true in the spec: still sent, with a DeprecationWarning
    unix_time: bool = False  # a Unix time (UnixTimeInput), which an aware datetime may give


@dataclass(frozen=True)
class RequestBody:
    """What ``requestBody`` gives a method: its model, whose fields are arguments."""

    model: str
    required: bool
    arguments: list[Argument]
    constants: dict[str, Any]
    """Fixed fields beside a wrapped body (``x-sdk-request-envelope``)."""


@dataclass(frozen=True)
class Response:
    """What the success answer gives a method."""

    data: dict[str, Any] | None
    """The schema of the answer's data (the envelope's ``data``, or the whole answer)."""
    annotation: str
    """Its Python type, ``BinaryResponse`` for a document."""
    envelope: bool  # False: the answer is the data itself, not wrapped (x-sdk-envelope: false)
    binary: bool  # x-sdk-binary: the answer is a document, streamed
    accept: str  # the Accept header: a document's types come from its 2xx answer


@dataclass(frozen=True)
class Pages:
    """``x-pagination``: how a paged answer is walked (the table's ``Paging``) and what a page holds."""

    paging: Paging
    item_model: str  # a page's item schema
    annotation: str  # the type of the answer's data, e.g. "Page[models.SmsMessage]"


@dataclass
class Bulk:
    """``x-sdk-bulk``: how a send operation is split into batches (see openapi/README.md)."""

    messages: MessageRules  # the request array the batches fill, and what each of its items must hold
    item_model: str
    max_batch: int
    results: str  # the answer array, an entry per recipient
    result_item: str
    price: str
    history: str  # e.g. "history.list", relative to the operation's resource
    shared: list[Argument]  # the other body fields, the same for every batch
    history_method: Method | None = None  # set once every operation is read

    @property
    def items(self) -> str:
        return self.messages.items

    @property
    def items_argument(self) -> str:
        return python_name(self.items)

    @property
    def history_by_date(self) -> bool:
        """Whether the history takes date_from / date_to, so that reconciling reads only the job's days."""
        assert self.history_method is not None
        return "date_from" in {argument.wire_name for argument in self.history_method.arguments}


@dataclass
class Method:
    name: str
    operation_id: str
    qualified_name: str  # e.g. "sms.templates.list"
    http_method: str
    path: str
    idempotent: bool
    auth: bool
    summary: str
    description: str
    docs_section: str
    arguments: list[Argument]
    body: RequestBody | None
    response: Response
    multipart: bool = False  # x-sdk-multipart: a document can go in the request
    pages: Pages | None = None
    bulk: Bulk | None = None
    deprecated: bool = False  # deprecated: true in the spec: still generated, warns when called

    @property
    def deprecation(self) -> str:
        """The warning a call of this deprecated method gives."""
        return f"{self.qualified_name} is {DEPRECATED}"

    @property
    def deprecated_parameters(self) -> list[tuple[Argument, str]]:
        """The deprecated path and query arguments, each with the warning it gives when passed (a
        deprecated body field warns from its request model, ``ClickSendRequestModel``)."""
        return [
            (argument, f"{self.qualified_name}: the argument {argument.name!r} is {DEPRECATED}")
            for argument in self.arguments
            if argument.deprecated and argument.location != "body"
        ]

    @property
    def part(self) -> str:
        """The part of the API (top-level resource) whose table module holds the operation."""
        return self.qualified_name.split(".", 1)[0]

    @property
    def constant(self) -> str:
        """The name of the operation's entry in the generated table, e.g. ``SEND_SMS``."""
        return snake_case(self.operation_id).upper()

    @property
    def paging(self) -> Paging | None:
        return self.pages.paging if self.pages else None

    @property
    def data_annotation(self) -> str:
        """The type of the answer's data, e.g. ``models.SmsSendResult``."""
        return self.pages.annotation if self.pages else self.response.annotation

    @property
    def return_annotation(self) -> str:
        if self.pages is None:
            return self.data_annotation
        item = f"models.{self.pages.item_model}"
        if self.pages.paging.style == "start-key":
            return f"AsyncPager[KeyedPage[{item}], {item}]"
        return f"AsyncPager[{self.data_annotation}, {item}]"

    @property
    def result_expression(self) -> str:
        """What the table's ``result`` returns: the data type, built on first use."""
        if self.pages and self.pages.paging.style == "page":
            return f"page_of(models.{self.pages.item_model})"
        return self.data_annotation

    @property
    def options(self) -> tuple[CallOption, ...]:
        return (
            *(SEND_OPTIONS if self.bulk else ()),
            *(UPLOAD_OPTIONS if self.multipart else ()),
            *CALL_OPTIONS,
        )

    def arguments_in(self, location: str) -> list[Argument]:
        return [argument for argument in self.arguments if argument.location == location]


@dataclass
class Resource:
    path: str  # dotted, e.g. "sms.templates"
    methods: list[Method] = field(default_factory=list)
    children: list[Resource] = field(default_factory=list)

    @property
    def attribute(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def class_name(self) -> str:
        return (
            "".join(part.title().replace("_", "") for part in self.path.replace(".", "_").split("_"))
            + "Resource"
        )

    @property
    def module(self) -> str:
        return self.path.split(".", 1)[0]

    def walk(self) -> list[Resource]:
        return [self, *(resource for child in self.children for resource in child.walk())]


@dataclass
class Api:
    """Everything the templates render: the resources (a tree) and every method, in table order."""

    resources: list[Resource]

    @property
    def methods(self) -> list[Method]:
        """Every method; those a bulk send's history refers to come before the sends."""
        found = [method for top in self.resources for item in top.walk() for method in item.methods]
        return sorted(found, key=lambda method: (method.bulk is not None, method.constant))


@dataclass(frozen=True)
class Webhook:
    """A push the API makes to a URL of the user's (an entry of the spec's ``webhooks``)."""

    kind: str
    """The key under ``webhooks``, e.g. ``sms_inbound``: the name the receivers take."""
    payload: str
    """The schema of what the push carries, whatever its format."""
    docs_section: str
    dedup_key: tuple[str, ...]
    """The payload fields that tell one push of this kind from another (``x-sdk-dedup-key``)."""
    summary: str
    formats: tuple[str, ...]
    """How it may arrive: "post" (a form body), "json" (a JSON body), "get" (the query string)."""

    @property
    def constant(self) -> str:
        """The name of the push's entry in the generated table, e.g. ``SMS_INBOUND``."""
        return self.kind.upper()


RUNTIME_NAMES = {"Any", "Literal", "Mapping", "None", "Sequence", "bool", "float", "int", "str"}
"""What the module of the TypedDicts imports at run time (the rest, for type checkers only)."""
ANNOTATION_NAMES = {*RUNTIME_NAMES, "Decimal", "NotRequired", "Required", "datetime", "models"}
"""Every name the TypedDicts' annotations use, but the TypedDicts' own (``…Param``)."""


@dataclass(frozen=True)
class ParamKey:
    """A key of a request object's TypedDict: the API's own name, its type and whether it must be given."""

    wire_name: str
    annotation: str
    required: bool
    description: str

    @property
    def declaration(self) -> str:
        """Its type as the TypedDict declares it, e.g. ``NotRequired[str]``; the type quoted when it names
        what only a type checker imports (the models): the module loads no model."""
        names = set(re.findall(r"[A-Za-z_][\w.]*", re.sub(r"'[^']*'|\"[^\"]*\"", "", self.annotation)))
        annotation = repr(self.annotation) if names - RUNTIME_NAMES else self.annotation
        return f"{'Required' if self.required else 'NotRequired'}[{annotation}]"

    @property
    def is_attribute(self) -> bool:
        """Whether the key can be a class attribute, with its docstring; else it goes in the functional
        TypedDict the class derives from: not a Python name (``from``), or one the annotations use, which
        a class attribute would hide from the type checkers (``models``, ``str``)."""
        name = self.wire_name
        return (
            name.isidentifier()
            and not keyword.iskeyword(name)
            and name not in ANNOTATION_NAMES
            and not name.endswith("Param")
        )


@dataclass(frozen=True)
class ParamDict:
    """``<Schema>Param``: the TypedDict a caller may write instead of the request model ``<Schema>``."""

    name: str
    schema: str
    description: str
    keys: tuple[ParamKey, ...]

    @property
    def attribute_keys(self) -> tuple[ParamKey, ...]:
        return tuple(key for key in self.keys if key.is_attribute)

    @property
    def other_keys(self) -> tuple[ParamKey, ...]:
        """The keys a class body cannot hold: not Python names (``from``), or names its annotations use."""
        return tuple(key for key in self.keys if not key.is_attribute)


@dataclass(frozen=True)
class ParamAlias:
    """``<Enum>Param``: the values an enum of a request takes, as a ``Literal``, or the enum's members."""

    name: str
    schema: str
    description: str
    annotation: str
    values: tuple[Any, ...]
