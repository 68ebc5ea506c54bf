"""The reader of an operation's ``requestBody``: a named model whose writable fields are arguments,
unwrapped first when the API wraps its bodies (``x-sdk-request-envelope``)."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .ir import Argument, RequestBody
from .names import python_name, schema_name
from .schemas import Annotator


def read_body(
    spec: dict[str, Any], annotator: Annotator, operation: dict[str, Any], where: str
) -> RequestBody | None:
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" not in schema:
        raise SpecError(f"{where}: the request body must be a $ref to a named object schema")
    model = schema_name(schema["$ref"])
    constants: dict[str, Any] = {}
    wrapper = spec.get("x-sdk-request-envelope")
    if wrapper:  # the API wraps bodies, e.g. {"data": {...}}: the arguments are the wrapped model's
        model, constants = _unwrap(annotator.schemas, model, wrapper, where)
    return RequestBody(model, bool(body.get("required")), _fields(annotator, model), constants)


def _fields(annotator: Annotator, model: str) -> list[Argument]:
    """An argument per field of the body's model, but those the server sets (``readOnly``)."""
    schema = annotator.schemas[model]
    required = set(schema.get("required", []))
    return [
        Argument(
            name=python_name(wire_name),
            wire_name=wire_name,
            location="body",
            annotation=annotator.annotate(property_schema, argument=True),
            required=wire_name in required,
            description=property_schema.get("description", ""),
            deprecated=bool(property_schema.get("deprecated")),
        )
        for wire_name, property_schema in schema.get("properties", {}).items()
        if not property_schema.get("readOnly")
    ]


def _unwrap(
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
