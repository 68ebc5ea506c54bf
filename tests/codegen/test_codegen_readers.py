"""Codegen's readers, each on a small scratch spec: parameters, request bodies, responses, each paging
style (``x-pagination``), a bulk send (``x-sdk-bulk`` and its message rules), pushes (``webhooks``), and
the runtime facts codegen renders (call options, lenient scalars, the dialect)."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

import aioclicksend._core.pagination
import aioclicksend._core.validation
from aioclicksend import RequestValidationError, count_parts
from aioclicksend._core.client import CallOptions, RequestOptions
from aioclicksend._core.operation import Paging
from aioclicksend._core.rules import MessageRules
from codegen.bulk import read_bulk
from codegen.bundle import SpecError, bundle
from codegen.dialect import read_dialect
from codegen.generate import APIS, PACKAGE, ApiSource
from codegen.ir import Argument, RequestBody
from codegen.operations import read_api
from codegen.paging import STYLES, read_pages
from codegen.parameters import PARAMETER_KINDS, read_parameters
from codegen.request_body import read_body
from codegen.responses import read_response
from codegen.runtime import CALL_OPTIONS, CHANNELS
from codegen.schemas import Annotator
from codegen.webhooks import read_webhooks

WHERE = "GET /things"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def enveloped(data: dict[str, Any]) -> dict[str, Any]:
    """A 200 answer whose envelope's data is ``data``."""
    schema = {"allOf": [ref("Envelope"), {"properties": {"data": data}}]}
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def query(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}}


def arguments(*wire_names: str) -> list[Argument]:
    return [Argument(name, name, "query", "int", required=False) for name in wire_names]


SCHEMAS: dict[str, Any] = {
    "Thing": {"type": "object", "properties": {"id": {"type": "integer"}}},
    "ThingPage": {"allOf": [{"properties": {"data": {"type": "array", "items": ref("Thing")}}}]},
    "ThingCursor": {"type": "object", "properties": {"things": {"type": "array", "items": ref("Thing")}}},
    "Status": {"type": "string", "enum": ["a", "b"]},
    "Price": ref("Money"),
    "Money": {"type": ["string", "number"]},
}


# ---- parameters, request body, responses ----


def test_parameters_are_arguments_with_the_kind_the_request_loop_checks() -> None:
    ids_schema = {"type": "array", "items": ref("Id")}
    spec = {"components": {"parameters": {"Ids": {"name": "ids", "in": "query", "schema": ids_schema}}}}
    annotator = Annotator({"Id": {"type": "integer"}})
    operation = {
        "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer"}}, {"$ref": "p/Ids"}]
    }
    path, ids = read_parameters(spec, annotator, operation, WHERE)
    assert (path.name, path.location, path.kind, path.required) == ("id", "path", "integer", True)
    assert (ids.name, ids.kind, ids.required, ids.annotation) == (
        "ids",
        "integer[]",
        False,
        "Sequence[models.Id]",
    )
    with pytest.raises(SpecError, match=r"GET /things: parameter 'h': only path and query"):
        read_parameters(spec, annotator, {"parameters": [{"name": "h", "in": "header"}]}, WHERE)
    with pytest.raises(SpecError, match=r"GET /things x: parameters must be integer, number"):
        read_parameters(spec, annotator, {"parameters": [{"name": "x", "in": "query", "schema": {}}]}, WHERE)


def test_a_wrapped_body_gives_the_inner_models_writable_fields_and_the_constants_beside() -> None:
    schemas: dict[str, Any] = {
        "Wrapper": {"properties": {"data": ref("Fax"), "kind": {"enum": ["fax"]}}},
        "Fax": {"required": ["to"], "properties": {"to": {"type": "string"}, "sent": {"readOnly": True}}},
    }
    operation = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Wrapper")}}}
    }
    body = read_body({"x-sdk-request-envelope": "data"}, Annotator(schemas), operation, WHERE)
    assert body is not None
    assert (body.model, body.required, body.constants) == ("Fax", True, {"kind": "fax"})
    assert [(argument.name, argument.required) for argument in body.arguments] == [("to", True)]
    schemas["Wrapper"]["properties"]["kind"] = {"enum": ["fax", "email"]}
    with pytest.raises(SpecError, match="the body's 'kind' beside 'data' must be one fixed value"):
        read_body({"x-sdk-request-envelope": "data"}, Annotator(schemas), operation, WHERE)


def test_the_response_is_the_envelopes_data_or_the_whole_answer_or_a_document() -> None:
    annotator = Annotator(SCHEMAS)
    assert (
        read_response(annotator, {"responses": enveloped(ref("Thing"))}, WHERE).annotation == "models.Thing"
    )
    bare = {"200": {"content": {"application/json": {"schema": ref("Thing")}}}}
    answer = read_response(annotator, {"responses": bare, "x-sdk-envelope": False}, WHERE)
    assert (answer.annotation, answer.envelope) == ("models.Thing", False)
    document = {"responses": {"200": {"content": {"application/pdf": {}}}}, "x-sdk-binary": True}
    answer = read_response(annotator, {**document, "operationId": "GetPdf"}, WHERE)
    assert (answer.annotation, answer.accept) == ("BinaryResponse", "application/pdf, application/json;q=0.1")
    with pytest.raises(SpecError, match="no 200/201/204 response"):
        read_response(annotator, {"responses": {"default": {}}}, WHERE)


def test_lenient_scalars_take_what_the_runtime_type_parses_and_hold_its_type() -> None:
    annotator = Annotator(SCHEMAS)
    money = {"type": "object", "properties": {"price": ref("Money")}}
    assert annotator.annotate(ref("Money"), argument=True) == "Decimal | float | str"
    assert annotator.annotate(ref("Money"), argument=False) == "Decimal | None"
    assert annotator.annotate(ref("Status"), argument=True) == "params.StatusParam"
    assert annotator.annotate(ref("Thing"), argument=True) == "params.ThingParam | models.Thing"
    assert annotator.annotate({"type": ["integer", "null"]}, argument=False) == "int | None"
    assert annotator.annotate(money, argument=False) == "builtins.dict[str, Any]"


# ---- x-pagination: one test per style ----


def test_page_numbers_read_the_item_of_a_page_schema_and_need_page_and_limit() -> None:
    pages = read_pages(
        Annotator(SCHEMAS), {"x-pagination": "page"}, ref("ThingPage"), arguments("page", "limit"), WHERE
    )
    assert pages is not None
    assert (pages.paging, pages.item_model, pages.annotation) == (
        Paging("page", "data"),
        "Thing",
        "Page[models.Thing]",
    )
    with pytest.raises(SpecError, match="x-pagination page needs the page and limit parameters"):
        read_pages(Annotator(SCHEMAS), {"x-pagination": "page"}, ref("ThingPage"), arguments("page"), WHERE)
    with pytest.raises(SpecError, match="a \\$ref to a <Item>Page schema"):
        read_pages(Annotator(SCHEMAS), {"x-pagination": "page"}, None, arguments("page", "limit"), WHERE)


def test_a_cursor_reads_the_array_x_cursor_items_names() -> None:
    operation = {"x-pagination": "cursor", "x-cursor-items": "things"}
    pages = read_pages(Annotator(SCHEMAS), operation, ref("ThingCursor"), arguments("offset"), WHERE)
    assert pages is not None
    assert (pages.paging, pages.item_model, pages.annotation) == (
        Paging("cursor", "things"),
        "Thing",
        "models.ThingCursor",
    )
    with pytest.raises(SpecError, match="x-cursor-items 'others' is not an array of a named schema"):
        read_pages(
            Annotator(SCHEMAS),
            {**operation, "x-cursor-items": "others"},
            ref("ThingCursor"),
            arguments("offset"),
            WHERE,
        )


def test_a_start_key_reads_an_array_of_items_and_an_unknown_style_is_refused() -> None:
    data = {"type": "array", "items": ref("Thing")}
    found = read_pages(
        Annotator(SCHEMAS), {"x-pagination": "start-key"}, data, arguments("page_size", "start_key"), WHERE
    )
    assert found is not None
    assert (found.paging, found.item_model) == (Paging("start-key", "data"), "Thing")
    assert found.annotation == "builtins.list[models.Thing]"
    with pytest.raises(SpecError, match="x-pagination must be page, cursor, start-key, not 'scroll'"):
        read_pages(Annotator(SCHEMAS), {"x-pagination": "scroll"}, data, [], WHERE)
    assert read_pages(Annotator(SCHEMAS), {}, data, [], WHERE) is None


# ---- x-sdk-bulk and its message rules ----

BULK_SCHEMAS: dict[str, Any] = {
    "Message": {"properties": {"to": {"type": "string"}, "list_id": {"type": "integer"}, "body": {}}},
    "Send": {"properties": {"messages": {"type": "array", "items": ref("Message"), "maxItems": 500}}},
    "Result": {"properties": {"messages": {"type": "array", "items": ref("Recipient")}}},
    "Recipient": {"properties": {"message_price": ref("Money")}},
}
BULK = {
    "items": "messages",
    "results": "messages",
    "price": "message_price",
    "recipient": ["to", "list_id"],
    "text": {"field": "body", "rule": "sms"},
    "history": "history.list",
}


def read_scratch_bulk(extension: Any, shared: list[Argument] | None = None) -> Any:
    body = RequestBody(
        "Send", True, [Argument("messages", "messages", "body", "", True), *(shared or [])], {}
    )
    return read_bulk(Annotator(BULK_SCHEMAS), {"x-sdk-bulk": extension}, body, ref("Result"), WHERE)


def test_a_bulk_send_reads_its_batches_results_and_message_rules() -> None:
    schedule = Argument("schedule", "schedule", "body", "int", required=False)
    source = Argument("source", "source", "body", "str", required=True)
    bulk = read_scratch_bulk(BULK, [schedule, source])
    assert bulk.messages == MessageRules("messages", ("to", "list_id"), "body", "sms")
    assert (bulk.item_model, bulk.max_batch, bulk.result_item, bulk.price) == (
        "Message",
        500,
        "Recipient",
        "message_price",
    )
    assert [argument.name for argument in bulk.shared] == ["source", "schedule"]  # required first
    assert read_scratch_bulk({**BULK, "text": None}).messages == MessageRules("messages", ("to", "list_id"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"history": None}, "x-sdk-bulk: history is missing"),
        ({"items": "recipients"}, "x-sdk-bulk items 'recipients' is not an array of a named schema"),
        ({"price": "cost"}, "x-sdk-bulk results 'messages' is not an array with 'cost'"),
        ({"recipient": ["to", "email"]}, r"x-sdk-bulk names fields the message does not have: \['email'\]"),
        ({"text": {"field": "body", "rule": "fax"}}, "x-sdk-bulk text needs a field and a rule of"),
    ],
)
def test_a_faulty_bulk_send_names_what_is_wrong(change: dict[str, Any], error: str) -> None:
    extension = {key: value for key, value in {**BULK, **change}.items() if value is not None}
    with pytest.raises(SpecError, match=f"GET /things: {error}"):
        read_scratch_bulk(extension)


def test_a_body_field_named_as_a_bulk_setting_is_refused() -> None:
    """send_bulk takes the body's other fields and every BulkOptions key as keyword arguments."""
    tag = Argument("tag", "tag", "body", "str", required=False)
    with pytest.raises(SpecError, match=r"body fields named as settings of send_bulk: \['tag'\]"):
        read_scratch_bulk(BULK, [tag])


def scratch_api(history_paging: str | None) -> dict[str, Any]:
    """A send with x-sdk-bulk and its history, paged by ``history_paging``."""
    schemas = {**copy.deepcopy(BULK_SCHEMAS), **copy.deepcopy(SCHEMAS)}
    history = {
        "operationId": "ListThings",
        "x-sdk-resource": "things.history",
        "x-sdk-method": "list",
        "x-docs-section": "List",
        "parameters": [query("page"), query("limit")],
        "responses": enveloped(ref("ThingPage")),
    }
    if history_paging:
        history["x-pagination"] = history_paging
    send = {
        "operationId": "SendThings",
        "x-sdk-resource": "things",
        "x-sdk-method": "send",
        "x-docs-section": "Send",
        "x-sdk-bulk": BULK,
        "requestBody": {"content": {"application/json": {"schema": ref("Send")}}},
        "responses": enveloped(ref("Result")),
    }
    return {
        "paths": {"/things": {"post": send}, "/things/history": {"get": history}},
        "components": {"schemas": schemas},
    }


def test_a_bulk_send_is_linked_to_its_paged_history() -> None:
    (things,) = read_api(scratch_api("page")).resources
    (send,) = things.methods
    assert send.bulk is not None and send.bulk.history_method is not None
    assert send.bulk.history_method.qualified_name == "things.history.list"
    assert not send.bulk.history_by_date
    with pytest.raises(
        SpecError, match=r"things\.send: x-sdk-bulk history .history\.list. is not a paged operation"
    ):
        read_api(scratch_api(None))


@pytest.mark.parametrize(
    ("path", "change", "error"),
    [
        ("/things", {"x-sdk-bulk": True}, r"x-sdk-bulk must be a mapping, not True"),
        (
            "/things",
            {"x-sdk-bulk": {**BULK, "recipient": "to"}},
            "x-sdk-bulk: recipient must be a list, not 'to'",
        ),
        ("/things", {"x-sdk-bulk": {**BULK, "recipient": ["to", 1]}}, "recipient must be a list of strings"),
        ("/things", {"x-sdk-bulk": {**BULK, "items": ["messages"]}}, "x-sdk-bulk: items must be a string"),
        ("/things", {"x-sdk-bulk": {**BULK, "text": {"field": ["body"]}}}, "text: field must be a string"),
        ("/things/history", {"x-pagination": ["page"]}, r"x-pagination must be a string, not \['page'\]"),
        (
            "/things/history",
            {"x-cursor-items": ["x"], "x-pagination": "cursor", "parameters": [query("offset")]},
            "x-cursor-items must be a str",
        ),
        ("/things/history", {"x-sdk-method": 5}, "x-sdk-method must be a string, not 5"),
        ("/things/history", {"x-sdk-resource": "things history"}, "x-sdk-resource must be lower_snake_case"),
        (
            "/things/history",
            {"parameters": [{"name": 5, "in": "query"}]},
            "a parameter: name must be a string",
        ),
    ],
)
def test_an_extension_of_the_wrong_type_is_a_spec_error_naming_it(
    path: str, change: dict[str, Any], error: str
) -> None:
    """Not a TypeError from inside a reader (x-sdk-bulk: true, an unhashable x-pagination…)."""
    spec = scratch_api("page")
    operation = next(iter(spec["paths"][path].values()))
    operation.update(change)
    with pytest.raises(SpecError, match=f"{next(iter(spec['paths'][path])).upper()} {path}.*{error}"):
        read_api(spec)


# ---- webhooks ----


def test_a_push_in_every_format_carries_one_payload() -> None:
    form = {
        "application/x-www-form-urlencoded": {"schema": ref("Push")},
        "application/json": {"schema": ref("Push")},
    }
    get = {"parameters": [{"name": "push", "in": "query", "schema": ref("Push")}]}
    push = {
        "x-docs-section": "Push",
        "x-sdk-dedup-key": ["id"],
        "post": {"requestBody": {"content": form}},
        "get": get,
    }
    schemas = {
        "Push": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Other": SCHEMAS["Thing"],
    }
    spec: dict[str, Any] = {"webhooks": {"thing_done": push}, "components": {"schemas": schemas}}
    (webhook,) = read_webhooks(spec)
    assert (webhook.constant, webhook.payload, webhook.formats) == (
        "THING_DONE",
        "Push",
        ("get", "json", "post"),
    )
    get["parameters"][0]["schema"] = ref("Other")
    with pytest.raises(
        SpecError, match=r"webhooks\.thing_done: every format must carry the same payload schema"
    ):
        read_webhooks(spec)
    get["parameters"][0]["in"] = "header"
    with pytest.raises(SpecError, match=r"webhooks\.thing_done: get takes one query parameter"):
        read_webhooks(spec)


# ---- runtime facts ----


def test_the_call_options_are_the_runtimes_with_its_defaults() -> None:
    defaults = {name: getattr(RequestOptions(), name) for name in CallOptions.__annotations__}
    assert {option.name: option.default for option in CALL_OPTIONS} == {
        name: repr(value) for name, value in defaults.items()
    }


def test_the_text_rules_and_paging_styles_codegen_accepts_are_those_the_runtime_acts_on() -> None:
    assert [count_parts("hi", channel).parts for channel in CHANNELS] == [1] * len(CHANNELS)
    with pytest.raises(RequestValidationError, match="channel: must be one of"):
        count_parts("hi", "fax")
    assert set(STYLES) == set(aioclicksend._core.pagination._STYLES)
    assert set(PARAMETER_KINDS) == set(aioclicksend._core.validation._KIND_CHECKS)


@pytest.mark.parametrize("source", APIS, ids=lambda source: source.spec_dir.name)
def test_the_generated_clients_dialect_is_the_one_read_from_its_spec(source: ApiSource) -> None:
    """The runtime's Dialect, read from the spec, rendered and imported back: the same value."""
    module = ".".join(source.output.relative_to(PACKAGE.parent).parts)
    generated = importlib.import_module(f"{module}.client").GeneratedClient.dialect
    assert generated == read_dialect(bundle(source.spec_dir))


def test_the_dialects_fields_are_rendered_sorted() -> None:
    """The runtime's Dialect holds a frozenset, whose repr's order changes with the hash seed."""
    text = (APIS[0].output / "client.py").read_text(encoding="utf-8")
    fields = sorted(read_dialect(bundle(APIS[0].spec_dir)).envelope_fields)
    assert "envelope_fields=frozenset((" + ", ".join(f'"{name}"' for name in fields) + "))" in text
