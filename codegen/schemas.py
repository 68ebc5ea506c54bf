"""Python annotations for the spec's JSON schemas: lenient for arguments, exact for results."""

from __future__ import annotations

from typing import Any

from .names import param_name, schema_name
from .runtime import SCALAR_TYPES

JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def is_object(schema: dict[str, Any]) -> bool:
    """Whether a named schema is an object (a model), not an enum or a scalar."""
    return schema.get("type") == "object" or "properties" in schema or "allOf" in schema


def literal(values: list[Any]) -> str:
    """``Literal[...]`` of an enum's values."""
    return f"Literal[{', '.join(repr(value) for value in values)}]"


class Annotator:
    """Python annotations for JSON schemas: lenient for arguments, exact for results."""

    def __init__(self, schemas: dict[str, Any], params: str = "params.") -> None:
        self.schemas = schemas
        self.params = params
        """How an annotation names the module of the TypedDicts (``params.``; ``""`` within it)."""

    def annotate(self, schema: dict[str, Any] | None, *, argument: bool) -> str:
        if not schema:
            return "Any"
        if "$ref" in schema:
            return self._named(schema_name(schema["$ref"]), argument=argument)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives:
            parts = [self.annotate(alternative, argument=argument) for alternative in alternatives]
            return " | ".join(dict.fromkeys(parts))
        if argument and "enum" in schema:
            return literal(schema["enum"])
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return self._union(schema, kinds, argument=argument)
        if kinds == "array":
            item = self.annotate(schema.get("items"), argument=argument)
            # builtins.list: a resource method named ``list`` would shadow the builtin in class scope.
            return f"Sequence[{item}]" if argument else f"builtins.list[{item}]"
        if kinds in JSON_TYPES:
            return JSON_TYPES[kinds]
        if kinds == "object" or "properties" in schema:
            return "Mapping[str, Any]" if argument else "builtins.dict[str, Any]"
        return "Any"

    def _named(self, name: str, *, argument: bool) -> str:
        """A named schema: a lenient scalar, an enum or a model; an argument takes an enum's ``Literal``
        (``<Enum>Param``) and a model's TypedDict (``<Model>Param``) too."""
        if name in SCALAR_TYPES:
            return SCALAR_TYPES[name].argument if argument else SCALAR_TYPES[name].result
        target = self.schemas[name]
        if argument and "enum" in target:
            return self.params + param_name(name)
        if argument and is_object(target):
            return f"{self.params}{param_name(name)} | models.{name}"
        return f"models.{name}"

    def _union(self, schema: dict[str, Any], kinds: list[str], *, argument: bool) -> str:
        """``type: [a, b, null]``: each type's annotation once, ``None`` last."""
        parts = [
            self.annotate({**schema, "type": kind}, argument=argument) for kind in kinds if kind != "null"
        ]
        annotation = " | ".join(dict.fromkeys(parts))
        return annotation + (" | None" if "null" in kinds else "")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a ``$ref`` (or a chain of them) names; any other schema as it is."""
        while "$ref" in schema:
            schema = self.schemas[schema_name(schema["$ref"])]
        return schema
