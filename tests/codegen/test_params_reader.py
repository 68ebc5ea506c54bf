"""The reader of the request TypedDicts (``codegen.params``) on a scratch set of schemas: a key per property
as the spec requires it, the keys a class cannot hold in a functional base, enums as Literals, nested objects
as their own Params, descriptions kept, and the annotations quoted where they name a model."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.bundle import SpecError
from codegen.generate import input_schemas
from codegen.parameters import read_parameters
from codegen.params import read_params
from codegen.schemas import Annotator


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Message": {
        "type": "object",
        "description": "One message.",
        "required": ["body"],
        "properties": {
            "body": {"type": "string", "description": "The text."},
            "from": {"type": "string", "description": "The sender."},
            "schedule": {**ref("UnixTimeInput"), "description": "When to send."},
            "tags": {"type": "array", "items": {"type": "string"}},
            "kind": ref("Kind"),
            "sender": ref("Sender"),
            "message_id": {"type": "string", "readOnly": True},
            "ids": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
    },
    "Sender": {"type": "object", "description": "Who sends.", "properties": {"id": {"type": "integer"}}},
    "Kind": {"type": "string", "enum": ["sms", "mms"], "description": "What it is."},
    "UnixTimeInput": {"type": "integer"},
}


def test_each_property_is_a_key_as_the_spec_requires_it() -> None:
    aliases, dicts = read_params(SCHEMAS, {"Message", "Sender", "Kind"})
    assert [(alias.name, alias.annotation) for alias in aliases] == [
        ("KindParam", "Literal['sms', 'mms'] | models.Kind")
    ]
    message, sender = dicts
    assert (message.name, message.description, sender.name) == ("MessageParam", "One message.", "SenderParam")
    keys = {key.wire_name: key for key in message.keys}
    assert "message_id" not in keys  # the server sets it
    assert {name: key.declaration for name, key in keys.items()} == {
        "body": "Required[str]",
        "from": "NotRequired[str]",
        "schedule": "NotRequired['int | datetime']",
        "tags": "NotRequired[Sequence[str]]",
        "kind": "NotRequired['KindParam']",
        "sender": "NotRequired['SenderParam | models.Sender']",
        "ids": "NotRequired[int | str]",
    }
    assert [key.wire_name for key in message.other_keys] == ["from"]
    assert (keys["body"].description, keys["sender"].description) == ("The text.", "Who sends.")


def test_a_key_named_as_a_type_the_annotations_use_stays_out_of_the_class_body() -> None:
    schemas = {
        "Thing": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in ("str", "models", "ok")},
        }
    }
    [thing] = read_params(schemas, {"Thing"})[1]
    assert [key.wire_name for key in thing.attribute_keys] == ["ok"]


def test_an_object_made_by_allof_is_refused() -> None:
    schemas = {"Thing": {"type": "object", "allOf": [ref("Other")]}, "Other": {"type": "object"}}
    with pytest.raises(SpecError, match="Thing: a request object must list its properties itself"):
        read_params(schemas, {"Thing"})


def test_the_inputs_are_what_bodies_and_parameters_refer_to() -> None:
    body = {"content": {"application/json": {"schema": ref("Message")}}}
    parameter = {"name": "kind", "in": "query", "schema": ref("Kind")}
    spec = {
        "paths": {"/m": {"post": {"requestBody": body}, "get": {"parameters": [parameter]}}},
        "components": {"schemas": {**SCHEMAS, "Unused": {"type": "object"}}},
    }
    assert input_schemas(spec) == {"Message", "Sender", "Kind"}


def test_a_query_unix_time_is_an_integer_that_takes_a_datetime() -> None:
    parameters = [
        {"name": "date_from", "in": "query", "schema": ref("UnixTimeInput")},
        {"name": "page", "in": "query", "schema": {"type": "integer"}},
    ]
    date_from, page = read_parameters({}, Annotator(SCHEMAS), {"parameters": parameters}, "GET /m")
    assert (date_from.kind, date_from.annotation, date_from.unix_time) == ("integer", "int | datetime", True)
    assert (page.kind, page.annotation, page.unix_time) == ("integer", "int", False)
