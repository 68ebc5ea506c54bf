"""Python annotations for the spec's JSON schemas: lenient for arguments, exact for results."""

from __future__ import annotations

from typing import Any

from .names import schema_name
from .runtime import SCALAR_TYPES

JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


class Annotator:
    """Python annotations for JSON schemas: lenient for arguments, exact for results."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def annotate(self, schema: dict[str, Any] | None, *, argument: bool) -> str:
        if not schema:
            return "Any"
        if "$ref" in schema:
            return self._named(schema_name(schema["$ref"]), argument=argument)
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
        """A named schema: a lenient scalar, an enum (its values taken as they are) or a model."""
        if name in SCALAR_TYPES:
            return SCALAR_TYPES[name].argument if argument else SCALAR_TYPES[name].result
        target = self.schemas[name]
        if "enum" in target:
            scalar = "int" if target.get("type") == "integer" else "str"
            return f"models.{name} | {scalar}" if argument else f"models.{name}"
        if argument and (target.get("type") == "object" or "properties" in target or "allOf" in target):
            return f"models.{name} | Mapping[str, Any]"
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
