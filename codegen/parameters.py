"""The reader of an operation's ``parameters`` (path and query): its keyword arguments and the JSON type
the request loop checks each one against."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .fields import required
from .ir import Argument
from .names import REF_PREFIX, python_name
from .runtime import UNIX_TIME_INPUT
from .schemas import Annotator

PARAMETER_KINDS = ("integer", "number", "string", "boolean")
LOCATIONS = ("path", "query")


def resolve_parameter(spec: dict[str, Any], parameter: dict[str, Any], where: str) -> dict[str, Any]:
    """A parameter, or the one of ``components.parameters`` its ``$ref`` names."""
    if "$ref" in parameter:
        name = parameter["$ref"].rsplit("/", 1)[-1]
        found = spec.get("components", {}).get("parameters", {}).get(name)
        if found is None:
            raise SpecError(f"{where}: parameter {parameter['$ref']} is not defined")
        return found  # type: ignore[no-any-return]
    return parameter


def parameter_kind(annotator: Annotator, schema: dict[str, Any], where: str) -> str:
    """The JSON type of a path or query parameter, as the request loop checks it: a scalar, or ``x[]``."""
    schema = annotator.resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        return parameter_kind(annotator, schema.get("items", {}), where) + "[]"
    if kind not in PARAMETER_KINDS:
        raise SpecError(f"{where}: parameters must be {', '.join(PARAMETER_KINDS)} or an array of one")
    return str(kind)


def read_parameters(
    spec: dict[str, Any], annotator: Annotator, operation: dict[str, Any], where: str
) -> list[Argument]:
    """One argument per path or query parameter, in the spec's order."""
    arguments = []
    for raw in operation.get("parameters", []):
        parameter = resolve_parameter(spec, raw, where)
        wire_name = required(parameter, "name", str, f"{where}: a parameter")
        location = parameter.get("in")
        if location not in LOCATIONS:
            raise SpecError(f"{where}: parameter {wire_name!r}: only path and query are supported")
        arguments.append(
            Argument(
                name=python_name(wire_name),
                wire_name=wire_name,
                location=location,
                annotation=annotator.annotate(parameter.get("schema"), argument=True),
                required=location == "path" or bool(parameter.get("required")),
                description=parameter.get("description", ""),
                kind=parameter_kind(annotator, parameter.get("schema", {}), f"{where} {wire_name}"),
                deprecated=bool(parameter.get("deprecated")),
                unix_time=parameter.get("schema") == {"$ref": REF_PREFIX + UNIX_TIME_INPUT},
            )
        )
    return arguments
