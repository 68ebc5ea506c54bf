"""The reader of the request objects: a TypedDict (``<Schema>Param``) for each object schema a request
refers to, and a ``Literal`` (``<Enum>Param``) for each enum, so that a type checker sees the keys and
values of the dicts a caller writes."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .ir import DEPRECATED_NOTE, ParamAlias, ParamDict, ParamKey
from .names import param_name
from .schemas import Annotator, is_object, literal


def read_params(schemas: dict[str, Any], names: set[str]) -> tuple[list[ParamAlias], list[ParamDict]]:
    """The ``Literal`` of each enum and the TypedDict of each object among the schemas ``names``."""
    annotator = Annotator(schemas, params="")  # the Params refer to each other within their module
    aliases = []
    dicts = []
    for name in sorted(names):
        schema = schemas[name]
        description = schema.get("description", "")
        if "enum" in schema:
            annotation = f"{literal(schema['enum'])} | models.{name}"
            values = tuple(schema["enum"])
            aliases.append(ParamAlias(param_name(name), name, description, annotation, values))
        elif is_object(schema):
            dicts.append(ParamDict(param_name(name), name, description, _keys(annotator, name, schema)))
    return aliases, dicts


def _keys(annotator: Annotator, name: str, schema: dict[str, Any]) -> tuple[ParamKey, ...]:
    """A key per property a caller may send (not ``readOnly``), described as the spec describes it (a
    deprecated one's description beginning with a note saying so)."""
    if "allOf" in schema:
        raise SpecError(f"schema {name}: a request object must list its properties itself, not by allOf")
    required = set(schema.get("required", []))
    return tuple(
        ParamKey(
            wire_name=wire_name,
            annotation=annotator.annotate(property_schema, argument=True),
            required=wire_name in required,
            description=_description(annotator, property_schema),
        )
        for wire_name, property_schema in schema.get("properties", {}).items()
        if not property_schema.get("readOnly")
    )


def _description(annotator: Annotator, property_schema: dict[str, Any]) -> str:
    """A key's description: the property's own, else its schema's; a deprecated key's noted first."""
    text = property_schema.get("description") or annotator.resolve(property_schema).get("description", "")
    return f"{DEPRECATED_NOTE} {text}".strip() if property_schema.get("deprecated") else text
