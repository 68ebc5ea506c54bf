"""The one reader of the bundled spec: every operation (and every push, the spec's ``webhooks``) as a
plain description.

Codegen renders these descriptions into the operation table (``_generated/operations.py``), the
resources and the client, and the pushes into the webhook table (``_generated/webhooks.py``); the request
loop, the receivers, the sandbox and the tests read those generated tables, so nothing else parses
operations out of the spec. A spec mistake fails here, with an error naming the operation and the field.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from .bundle import SpecError

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"
PARAMETER_KINDS = ("integer", "number", "string", "boolean")
TEXT_RULES = ("sms", "voice", "mms")
# Schemas codegen maps to handwritten lenient types (see aioclicksend/_models.py).
SCALAR_TYPES = {
    "Money": ("Decimal | float | str", "Decimal | None"),
    "UnixTime": ("int", "int | None"),
    "FormInteger": ("int", "int | None"),  # the lenient integer of pushes, whose forms send text
}
WEBHOOK_CONTENT = ("application/x-www-form-urlencoded", "application/json")
"""The bodies a push's ``post`` may describe: the formats of a URL rule's webhook_type post and json."""
TABLE_NAMES = {"MODELS", "WEBHOOKS", "TYPE_CHECKING"}
"""The generated webhook table's own upper-case names, which a push's constant (its kind) must not be."""


@dataclass(frozen=True)
class CallOption:
    """A keyword argument every generated method takes besides the API's own (rendered by the template)."""

    name: str
    annotation: str
    default: str


# The fields of aioclicksend._core.client.CallOptions, which the resources pass on as they are.
CALL_OPTIONS = (
    CallOption("timeout", "Timeout | NotGiven", "NOT_GIVEN"),
    CallOption("extra_headers", "Mapping[str, str] | None", "None"),
    CallOption("extra_query", "Mapping[str, Any] | None", "None"),
    CallOption("extra_body", "Mapping[str, Any] | None", "None"),
    CallOption("max_retries", "int | NotGiven", "NOT_GIVEN"),
)
SEND_OPTIONS = (CallOption("allow_truncation", "bool", "False"),)
"""Taken as well by the sends that check their messages (``x-sdk-bulk``)."""
UPLOAD_OPTIONS = (
    CallOption("file", "FileInput | None", "None"),
    CallOption("content_type", "str | None", "None"),
)
"""Taken as well by the operations that can carry a document in the request (``x-sdk-multipart``)."""
# Names an API argument cannot take: the method's own first parameter and the options above. Generated
# bodies reach everything else through ``self`` and the table module ``_operations``, and an API
# argument never starts with "_", so no other name of the templates can be shadowed.
RESERVED_NAMES = {"self", *(option.name for option in (*CALL_OPTIONS, *SEND_OPTIONS, *UPLOAD_OPTIONS))}
# Lower-case names a resource module imports: a method of that name would hide them from its annotations.
MODULE_NAMES = {"builtins", "models"}


@dataclass(frozen=True)
class Dialect:
    """How an API wraps what it exchanges, from its spec's root (rendered into its generated client)."""

    error_code: str
    """The field of an error answer holding the API's error code (``x-sdk-error.code``)."""
    error_message: str
    """The field with its text (``x-sdk-error.message``); a dotted name reaches into an object."""
    envelope_fields: tuple[str, ...]
    """The properties of the root's ``Envelope`` schema."""
    request_envelope: str | None
    """The field request bodies are wrapped in (``x-sdk-request-envelope``), if any."""


def _accept(operation: dict[str, Any]) -> str:
    """A document's Accept header: the media types of its success answer, then JSON (which errors are)."""
    success = [answer for status, answer in operation["responses"].items() if str(status).startswith("2")]
    types = [kind for answer in success for kind in answer.get("content", {})]
    if not types:
        raise SpecError(f"{operation['operationId']}: x-sdk-binary needs a 2xx answer with its media types")
    return ", ".join([*types, "application/json;q=0.1"])


def read_dialect(spec: dict[str, Any]) -> Dialect:
    error = spec.get("x-sdk-error")
    if not isinstance(error, dict) or not {"code", "message"} <= set(error):
        raise SpecError(
            "the root needs x-sdk-error: {code: <field>, message: <field>} (the error answer's fields)"
        )
    envelope = spec.get("components", {}).get("schemas", {}).get("Envelope", {}).get("properties")
    if not envelope or "data" not in envelope:
        raise SpecError("components.schemas.Envelope must list the envelope's properties, data among them")
    return Dialect(error["code"], error["message"], tuple(envelope), spec.get("x-sdk-request-envelope"))


@dataclass
class Argument:
    name: str  # Python keyword argument
    wire_name: str  # name in the path, query or body
    location: str  # "path", "query" or "body"
    annotation: str
    required: bool
    description: str = ""
    kind: str = ""  # path and query: the JSON type the request loop checks ("integer", "string[]"…)


@dataclass
class Bulk:
    """``x-sdk-bulk``: how a send operation is split into batches (see openapi/README.md)."""

    items: str  # the request array the batches fill
    item_model: str
    max_batch: int
    results: str  # the answer array, an entry per recipient
    result_item: str
    price: str
    recipient: list[str]
    text_field: str | None
    text_rule: str | None
    history: str  # e.g. "history.list", relative to the operation's resource
    shared: list[Argument]  # the other body fields, the same for every batch
    history_method: Method | None = None  # set once every operation is read

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
    body_model: str | None
    body_required: bool
    data_annotation: str  # the type of the answer's data, e.g. "models.SmsSendResult"
    body_constants: dict[str, Any] = field(default_factory=dict)  # fixed fields beside a wrapped body
    binary: bool = False  # x-sdk-binary: the answer is a document, streamed
    accept: str = "application/json"  # the Accept header: a document's types come from its 2xx answer
    multipart: bool = False  # x-sdk-multipart: a document can go in the request
    paging: str | None = None  # "page", "cursor" or "start-key" (x-pagination)
    page_items: str | None = None  # the field of the data holding a page's items
    item_model: str | None = None  # a paged answer's item schema
    envelope: bool = True  # False: the answer is the data itself, not wrapped (x-sdk-envelope: false)
    bulk: Bulk | None = None

    @property
    def part(self) -> str:
        """The part of the API (top-level resource) whose table module holds the operation."""
        return self.qualified_name.split(".", 1)[0]

    @property
    def constant(self) -> str:
        """The name of the operation's entry in the generated table, e.g. ``SEND_SMS``."""
        return snake_case(self.operation_id).upper()

    @property
    def return_annotation(self) -> str:
        if self.paging == "start-key":
            return f"AsyncPager[KeyedPage[models.{self.item_model}], models.{self.item_model}]"
        if self.paging:
            return f"AsyncPager[{self.data_annotation}, models.{self.item_model}]"
        return self.data_annotation

    @property
    def result_expression(self) -> str:
        """What the table's ``result`` returns: the data type, built on first use."""
        if self.paging == "page":
            return f"page_of(models.{self.item_model})"
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


def snake_case(name: str) -> str:
    """A CamelCase name in snake case, an acronym kept whole (``SmsMessage`` → ``sms_message``,
    ``MMSCampaign`` → ``mms_campaign``)."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)).lower()


def python_name(wire_name: str) -> str:
    """A keyword argument for a wire name: ``filter[status][]`` becomes ``filter_status``, ``from``
    becomes ``from_``; never a leading underscore, so it cannot shadow a name of the generated code."""
    name = re.sub(r"_+", "_", re.sub(r"\W", "_", wire_name)).strip("_") or "value"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED_NAMES:
        name += "_"
    return name


def schema_name(ref: str) -> str:
    if not ref.startswith(REF_PREFIX):
        raise SpecError(f"unsupported $ref {ref!r}: use {REF_PREFIX}<Name>")
    name = ref[len(REF_PREFIX) :]
    if not name.isidentifier() or not name[0].isupper():
        raise SpecError(f"schema name {name!r} must be a PascalCase identifier")
    return name


class Annotator:
    """Python annotations for JSON schemas: lenient for arguments, exact for results."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def annotate(self, schema: dict[str, Any] | None, *, argument: bool) -> str:
        if not schema:
            return "Any"
        if "$ref" in schema:
            name = schema_name(schema["$ref"])
            if name in SCALAR_TYPES:
                return SCALAR_TYPES[name][0 if argument else 1]
            target = self.schemas[name]
            if "enum" in target:
                scalar = "int" if target.get("type") == "integer" else "str"
                return f"models.{name} | {scalar}" if argument else f"models.{name}"
            if argument and (target.get("type") == "object" or "properties" in target or "allOf" in target):
                return f"models.{name} | Mapping[str, Any]"
            return f"models.{name}"
        kinds = schema.get("type")
        if isinstance(kinds, list):
            parts = [
                self.annotate({**schema, "type": kind}, argument=argument) for kind in kinds if kind != "null"
            ]
            annotation = " | ".join(dict.fromkeys(parts))
            return annotation + (" | None" if "null" in kinds else "")
        if kinds == "array":
            item = self.annotate(schema.get("items"), argument=argument)
            # builtins.list: a resource method named ``list`` would shadow the builtin in class scope.
            return f"Sequence[{item}]" if argument else f"builtins.list[{item}]"
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
        if kinds in simple:
            return simple[kinds]
        if kinds == "object" or "properties" in schema:
            return "Mapping[str, Any]" if argument else "builtins.dict[str, Any]"
        return "Any"


def parameter_kind(schemas: dict[str, Any], schema: dict[str, Any], where: str) -> str:
    """The JSON type of a path or query parameter, as the request loop checks it: a scalar, or ``x[]``."""
    while "$ref" in schema:
        schema = schemas[schema_name(schema["$ref"])]
    kind = schema.get("type")
    if kind == "array":
        return parameter_kind(schemas, schema.get("items", {}), where) + "[]"
    if kind not in PARAMETER_KINDS:
        raise SpecError(f"{where}: parameters must be {', '.join(PARAMETER_KINDS)} or an array of one")
    return str(kind)


def _data_schema(operation: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The schema of what an operation answers: the envelope's ``data``, or with ``x-sdk-envelope: false``
    the answer's whole schema."""
    responses = operation.get("responses", {})
    success = next((responses[code] for code in ("200", "201", "204") if code in responses), None)
    if success is None:
        raise SpecError(f"{where}: no 200/201/204 response")
    content = success.get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content.get("schema", {})
    if operation.get("x-sdk-envelope", True) is False:
        return schema  # type: ignore[no-any-return]
    for part in schema.get("allOf", []):
        data = part.get("properties", {}).get("data")
        if data is not None:
            return data  # type: ignore[no-any-return]
    raise SpecError(f"{where}: the response schema must be allOf [Envelope, {{properties: {{data: ...}}}}]")


def _page_item(schemas: dict[str, Any], data: dict[str, Any] | None, where: str) -> str:
    if not data or "$ref" not in data:
        raise SpecError(f"{where}: x-pagination needs data to be a $ref to a <Item>Page schema")
    page = schemas[schema_name(data["$ref"])]
    for part in page.get("allOf", []):
        items = part.get("properties", {}).get("data", {}).get("items", {})
        if "$ref" in items:
            return schema_name(items["$ref"])
    raise SpecError(f"{where}: page schema {data['$ref']} has no data: {{type: array, items: {{$ref}}}}")


def _cursor_item(schemas: dict[str, Any], data: dict[str, Any] | None, items: str, where: str) -> str:
    """The item model of a cursor-paged answer, whose array of items is named by x-cursor-items."""
    page = schemas.get(schema_name(data["$ref"])) if data and "$ref" in data else None
    array = (page or {}).get("properties", {}).get(items, {})
    if "$ref" not in array.get("items", {}):
        raise SpecError(f"{where}: x-cursor-items {items!r} is not an array of a named schema in the answer")
    return schema_name(array["items"]["$ref"])


def _resolve_parameter(spec: dict[str, Any], parameter: dict[str, Any], where: str) -> dict[str, Any]:
    if "$ref" in parameter:
        name = parameter["$ref"].rsplit("/", 1)[-1]
        found = spec.get("components", {}).get("parameters", {}).get(name)
        if found is None:
            raise SpecError(f"{where}: parameter {parameter['$ref']} is not defined")
        return found  # type: ignore[no-any-return]
    return parameter


def read_api(spec: dict[str, Any]) -> Api:
    """Every operation of the spec, grouped into resources (a tree of ``client.<a>.<b>``)."""
    schemas = spec.get("components", {}).get("schemas", {})
    annotator = Annotator(schemas)
    by_path: dict[str, Resource] = {}
    seen_ids: set[str] = set()
    for path, item in spec.get("paths", {}).items():
        for http_method in HTTP_METHODS:
            operation = item.get(http_method)
            if operation is None:
                continue
            where = f"{http_method.upper()} {path}"
            method = _read_method(spec, schemas, annotator, path, http_method, operation, where)
            if method.operation_id in seen_ids:
                raise SpecError(f"{where}: operationId {method.operation_id} is used twice")
            seen_ids.add(method.operation_id)
            resource_path = method.qualified_name.rsplit(".", 1)[0]
            parts = resource_path.split(".")
            for depth in range(1, len(parts) + 1):
                by_path.setdefault(".".join(parts[:depth]), Resource(".".join(parts[:depth])))
            by_path[resource_path].methods.append(method)
    for resource_path, resource in sorted(by_path.items()):
        if "." in resource_path:
            by_path[resource_path.rsplit(".", 1)[0]].children.append(resource)
    for resource in by_path.values():
        names = [method.name for method in resource.methods] + [
            child.attribute for child in resource.children
        ]
        clashes = sorted(
            {name for name in names if names.count(name) > 1} | ({"with_raw_response"} & set(names))
        )
        if clashes:
            raise SpecError(f"resource {resource.path}: names used twice or reserved: {clashes}")
        resource.methods.sort(key=lambda method: method.name)
    for resource_path, resource in by_path.items():
        for method in resource.methods:
            if method.bulk is not None:
                method.bulk.history_method = _history(by_path, resource_path, method)
    return Api([resource for name, resource in sorted(by_path.items()) if "." not in name])


def _history(by_path: dict[str, Resource], resource_path: str, method: Method) -> Method:
    assert method.bulk is not None
    *children, history_method = f"{resource_path}.{method.bulk.history}".split(".")
    history = by_path.get(".".join(children))
    found = [known for known in history.methods if known.name == history_method] if history else []
    if not found or found[0].paging is None or found[0].part != method.part:
        raise SpecError(
            f"{method.qualified_name}: x-sdk-bulk history {method.bulk.history!r} is not a paged operation "
            "of the same part of the API"
        )
    return found[0]


def _read_method(
    spec: dict[str, Any],
    schemas: dict[str, Any],
    annotator: Annotator,
    path: str,
    http_method: str,
    operation: dict[str, Any],
    where: str,
) -> Method:
    for key in ("operationId", "x-sdk-resource", "x-sdk-method", "x-docs-section"):
        if key not in operation:
            raise SpecError(f"{where}: {key} is missing")
    where = f"{where} ({operation['operationId']})"
    name = operation["x-sdk-method"]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name) or name in MODULE_NAMES:
        raise SpecError(f"{where}: x-sdk-method {name!r} is not a usable method name (lower_snake_case)")
    arguments: list[Argument] = []
    for raw_parameter in operation.get("parameters", []):
        parameter = _resolve_parameter(spec, raw_parameter, where)
        location = parameter.get("in")
        if location not in ("path", "query"):
            raise SpecError(
                f"{where}: parameter {parameter.get('name')!r}: only path and query are supported"
            )
        arguments.append(
            Argument(
                name=python_name(parameter["name"]),
                wire_name=parameter["name"],
                location=location,
                annotation=annotator.annotate(parameter.get("schema"), argument=True),
                required=location == "path" or bool(parameter.get("required")),
                description=parameter.get("description", ""),
                kind=parameter_kind(schemas, parameter.get("schema", {}), f"{where} {parameter['name']}"),
            )
        )
    body_model = None
    body_constants: dict[str, Any] = {}
    body = operation.get("requestBody")
    if body is not None:
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" not in schema:
            raise SpecError(f"{where}: the request body must be a $ref to a named object schema")
        body_model = schema_name(schema["$ref"])
        wrapper = spec.get("x-sdk-request-envelope")
        if wrapper:  # the API wraps bodies, e.g. {"data": {...}}: the arguments are the wrapped model's
            body_model, body_constants = _unwrap_body(schemas, body_model, wrapper, where)
        body_schema = schemas[body_model]
        required = set(body_schema.get("required", []))
        for wire_name, property_schema in body_schema.get("properties", {}).items():
            if property_schema.get("readOnly"):  # the server sets it: never an argument
                continue
            arguments.append(
                Argument(
                    name=python_name(wire_name),
                    wire_name=wire_name,
                    location="body",
                    annotation=annotator.annotate(property_schema, argument=True),
                    required=wire_name in required,
                    description=property_schema.get("description", ""),
                )
            )
    names = [argument.name for argument in arguments]
    clashes = sorted({argument for argument in names if names.count(argument) > 1})
    if clashes:
        raise SpecError(f"{where}: parameters and body fields that give the same argument name: {clashes}")
    arguments.sort(key=lambda argument: not argument.required)  # required first, spec order kept
    data = _data_schema(operation, where)
    paging = operation.get("x-pagination")
    page_items = item = None
    if paging == "page":
        if not {"page", "limit"} <= {argument.wire_name for argument in arguments}:
            raise SpecError(f"{where}: a paged operation needs the page and limit parameters")
        item, page_items = _page_item(schemas, data, where), "data"
        data_annotation = f"Page[models.{item}]"
    elif paging == "cursor":
        page_items = operation.get("x-cursor-items", "")
        item = _cursor_item(schemas, data, page_items, where)
        if "offset" not in {argument.wire_name for argument in arguments}:
            raise SpecError(f"{where}: a cursor-paged operation needs the offset parameter")
        data_annotation = annotator.annotate(data, argument=False)
    elif paging == "start-key":
        items = (data or {}).get("items", {})
        if (data or {}).get("type") != "array" or "$ref" not in items:
            raise SpecError(f"{where}: x-pagination start-key needs data to be an array of a named schema")
        if not {"page_size", "start_key"} <= {argument.wire_name for argument in arguments}:
            raise SpecError(
                f"{where}: a start-key-paged operation needs the page_size and start_key parameters"
            )
        item, page_items = schema_name(items["$ref"]), "data"
        data_annotation = annotator.annotate(data, argument=False)
    elif paging is None:
        data_annotation = (
            "BinaryResponse" if operation.get("x-sdk-binary") else annotator.annotate(data, argument=False)
        )
    else:
        raise SpecError(f"{where}: x-pagination must be page, cursor or start-key, not {paging!r}")
    return Method(
        name=name,
        operation_id=operation["operationId"],
        qualified_name=f"{operation['x-sdk-resource']}.{name}",
        http_method=http_method.upper(),
        path=path,
        idempotent=http_method == "get" or bool(operation.get("x-idempotent")),
        auth=operation.get("security", spec.get("security")) != [],
        summary=operation.get("summary", "").strip(),
        description=(operation.get("description") or "").strip(),
        docs_section=operation["x-docs-section"],
        arguments=arguments,
        body_model=body_model,
        body_required=bool((body or {}).get("required")),
        data_annotation=data_annotation,
        body_constants=body_constants,
        binary=bool(operation.get("x-sdk-binary")),
        accept=_accept(operation) if operation.get("x-sdk-binary") else "application/json",
        multipart=bool(operation.get("x-sdk-multipart")),
        paging=paging,
        page_items=page_items,
        item_model=item,
        envelope=operation.get("x-sdk-envelope", True) is not False,
        bulk=_read_bulk(schemas, operation, body_model, data, arguments, where),
    )


def _unwrap_body(
    schemas: dict[str, Any], wrapper_model: str, field_name: str, where: str
) -> tuple[str, dict[str, Any]]:
    """The model wrapped in ``field_name`` of a body schema, and the body's other fields: constants (an
    enum of one value), which the request loop sets beside the wrapped model."""
    properties = schemas[wrapper_model].get("properties", {})
    inner = properties.get(field_name, {})
    if "$ref" not in inner:
        raise SpecError(f"{where}: the body's {field_name!r} must be a $ref (x-sdk-request-envelope)")
    constants = {}
    for name, schema in properties.items():
        if name == field_name:
            continue
        values = schema.get("enum", [schema["const"]] if "const" in schema else [])
        if len(values) != 1:
            raise SpecError(f"{where}: the body's {name!r} beside {field_name!r} must be one fixed value")
        constants[name] = values[0]
    return schema_name(inner["$ref"]), constants


def _read_bulk(
    schemas: dict[str, Any],
    operation: dict[str, Any],
    body_model: str | None,
    data: dict[str, Any] | None,
    arguments: list[Argument],
    where: str,
) -> Bulk | None:
    bulk = operation.get("x-sdk-bulk")
    if bulk is None:
        return None
    missing = [key for key in ("items", "results", "price", "history") if key not in bulk]
    if missing:
        raise SpecError(f"{where}: x-sdk-bulk needs {missing}")
    if body_model is None or not data or "$ref" not in data:
        raise SpecError(f"{where}: x-sdk-bulk needs a request body and a $ref answer")
    items = schemas[body_model].get("properties", {}).get(bulk["items"], {})
    if items.get("type") != "array" or "$ref" not in items.get("items", {}):
        raise SpecError(f"{where}: x-sdk-bulk items {bulk['items']!r} is not an array of a named schema")
    item_model = schema_name(items["items"]["$ref"])
    item_fields = schemas[item_model].get("properties", {})
    results = schemas[schema_name(data["$ref"])].get("properties", {}).get(bulk["results"], {})
    result_item = schema_name(results.get("items", {}).get("$ref", "#/components/schemas/Missing"))
    result_fields = schemas.get(result_item, {})
    if results.get("type") != "array" or bulk["price"] not in result_fields.get("properties", {}):
        raise SpecError(
            f"{where}: x-sdk-bulk results {bulk['results']!r} is not an array with {bulk['price']!r}"
        )
    recipient = list(bulk.get("recipient", []))
    text = bulk.get("text") or {}
    if text and ("field" not in text or text.get("rule") not in TEXT_RULES):
        raise SpecError(f"{where}: x-sdk-bulk text needs a field and a rule of {TEXT_RULES}")
    unknown = [name for name in [*recipient, text.get("field")] if name and name not in item_fields]
    if unknown:
        raise SpecError(f"{where}: x-sdk-bulk names fields the message does not have: {unknown}")
    return Bulk(
        items=bulk["items"],
        item_model=item_model,
        max_batch=items.get("maxItems", 1000),
        results=bulk["results"],
        result_item=result_item,
        price=bulk["price"],
        recipient=recipient,
        text_field=text.get("field"),
        text_rule=text.get("rule"),
        history=bulk["history"],
        shared=[
            argument
            for argument in arguments
            if argument.location == "body" and argument.wire_name != bulk["items"]
        ],
    )


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


def read_webhooks(spec: dict[str, Any]) -> list[Webhook]:
    """Every push of the spec (its ``webhooks``), in the order of their kinds."""
    schemas = spec.get("components", {}).get("schemas", {})
    found = []
    for kind, item in sorted((spec.get("webhooks") or {}).items()):
        where = f"webhooks.{kind}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind) or keyword.iskeyword(kind):
            raise SpecError(f"{where}: a push's kind must be lower_snake_case")
        if kind.upper() in TABLE_NAMES:
            raise SpecError(f"{where}: the kind would hide the table's own {kind.upper()}")
        for key in ("x-docs-section", "x-sdk-dedup-key", "post"):
            if key not in item:
                raise SpecError(f"{where}: {key} is missing")
        unknown = sorted(
            set(item) - {"x-docs-section", "x-sdk-dedup-key", "post", "get", "summary", "description"}
        )
        if unknown:
            raise SpecError(f"{where}: only post and get (and the kind's x- fields) are read, not {unknown}")
        payloads: dict[str, str] = {}
        content = item["post"].get("requestBody", {}).get("content", {})
        if not content or set(content) - set(WEBHOOK_CONTENT):
            raise SpecError(f"{where}: post's requestBody must describe {' and/or '.join(WEBHOOK_CONTENT)}")
        for media_type, body in content.items():
            if "$ref" not in body.get("schema", {}):
                raise SpecError(f"{where}: post's {media_type} body must be a $ref to a named object schema")
            payloads["post" if media_type == WEBHOOK_CONTENT[0] else "json"] = schema_name(
                body["schema"]["$ref"]
            )
        if "get" in item:
            parameters = [
                _resolve_parameter(spec, parameter, f"{where} get")
                for parameter in item["get"].get("parameters", [])
            ]
            if (
                len(parameters) != 1
                or parameters[0].get("in") != "query"
                or parameters[0].get("style", "form") != "form"
                or parameters[0].get("explode", True) is not True
                or "$ref" not in parameters[0].get("schema", {})
            ):
                raise SpecError(
                    f"{where}: get takes one query parameter (style form, explode) whose schema is a $ref"
                )
            payloads["get"] = schema_name(parameters[0]["schema"]["$ref"])
        if len(set(payloads.values())) != 1:
            raise SpecError(f"{where}: every format must carry the same payload schema, not {payloads}")
        payload = next(iter(payloads.values()))
        properties = schemas.get(payload, {}).get("properties")
        if not properties:
            raise SpecError(f"{where}: the payload {payload} must be an object schema with properties")
        if schemas[payload].get("required"):
            raise SpecError(f"{where}: the payload {payload} must list no required properties (lenient)")
        dedup_key = item["x-sdk-dedup-key"]
        if not isinstance(dedup_key, list) or not dedup_key or set(dedup_key) - set(properties):
            raise SpecError(f"{where}: x-sdk-dedup-key must list properties of {payload}, not {dedup_key!r}")
        found.append(
            Webhook(
                kind=kind,
                payload=payload,
                docs_section=item["x-docs-section"],
                dedup_key=tuple(dedup_key),
                summary=item["post"].get("summary", "").strip(),
                formats=tuple(sorted(payloads)),
            )
        )
    sections = [webhook.docs_section for webhook in found]
    if len(sections) != len(set(sections)):
        raise SpecError(f"webhooks: x-docs-section used twice: {sorted(sections)}")
    return found
