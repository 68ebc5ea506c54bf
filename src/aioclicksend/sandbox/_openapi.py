"""What the sandbox looks up in the bundled spec: documented answers and compiled JSON Schemas.

Every fact about an operation (method, path, auth, envelope, paging, parameters, body, bulk settings)
comes from the operation table, ``aioclicksend._generated.operations``. This module only finds, by an
operation's path and method or by a schema's name, the raw material the table does not carry: the
answer the docs show, and the JSON Schemas requests are validated against.

Schemas are checked with jsonschema-rs (Draft 2020-12, the dialect of OpenAPI 3.1), not with the SDK's
pydantic models, so that a mistake in those models shows up against the sandbox. The bundled spec is
registered once as the resource ``SPEC_URI``; each validator is compiled once, for
``{"$ref": SPEC_URI + pointer}``, so every ``$ref: '#/components/schemas/X'`` in it resolves within
that one document.

Each API's generated package bundles its own spec (``openapi.json`` beside its models): an operation's
spec is the one of the package its table entry names (``operation.models``), so the Kazoo operations
are looked up in Kazoo's spec by the same functions. Without a package, ClickSend's is meant.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote

try:
    import jsonschema_rs
except ImportError as error:  # an optional dependency: say how to get it
    raise ImportError(
        "the aioclicksend sandbox validates requests with jsonschema-rs: pip install 'aioclicksend[sandbox]'"
    ) from error

from .._core.operation import Operation

__all__ = [
    "CLICKSEND",
    "SPEC_URI",
    "Documented",
    "allows_null",
    "data_schema",
    "documented",
    "package_of",
    "parameter_schema",
    "parameter_validator",
    "pointer",
    "properties",
    "request_validator",
    "resolved",
    "spec",
    "validator",
]

CLICKSEND = "aioclicksend._generated"
"""The generated package of ClickSend's API, whose spec is meant when no package is named."""
SPEC_URI = "https://aioclicksend.invalid/openapi.json"
"""The name ClickSend's bundled spec is registered under; nothing is ever fetched from it."""


def spec(package: str = CLICKSEND) -> dict[str, Any]:
    """The spec bundled in an API's generated package (read once: ``spec()`` is ``spec(CLICKSEND)``)."""
    return _bundled(package)


@functools.cache
def _bundled(package: str) -> dict[str, Any]:
    text = resources.files(package).joinpath("openapi.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def package_of(operation: Operation[Any]) -> str:
    """The generated package of an operation's table entry (its models are ``<package>.models``)."""
    return operation.models.rpartition(".")[0]


def _uri(package: str) -> str:
    return SPEC_URI if package == CLICKSEND else f"https://aioclicksend.invalid/{package}/openapi.json"


def pointer(*parts: str | int) -> str:
    """A JSON pointer (as a URI fragment) to ``spec()[parts[0]][parts[1]]…``."""
    return "#/" + "/".join(quote(str(part).replace("~", "~0").replace("/", "~1"), safe="~") for part in parts)


def _entry(operation: Operation[Any]) -> dict[str, Any]:
    """The operation's entry in its API's spec, found by its path and method."""
    entry: dict[str, Any] = spec(package_of(operation))["paths"][operation.path][operation.method.lower()]
    return entry


@functools.cache
def _registry(package: str) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(_uri(package), spec(package))], draft=jsonschema_rs.Draft202012)


@functools.cache
def validator(at: str, package: str = CLICKSEND) -> jsonschema_rs.Draft202012Validator:
    """The compiled validator of the schema at the pointer ``at`` (``#/components/schemas/SmsMessage``)
    of an API's spec."""
    return jsonschema_rs.Draft202012Validator({"$ref": _uri(package) + at}, registry=_registry(package))


def _parameter_at(operation: Operation[Any], name: str) -> str | None:
    """The pointer to the schema of the operation's parameter ``name`` (declared there or referred to)."""
    package = package_of(operation)
    for index, parameter in enumerate(_entry(operation).get("parameters", [])):
        ref = parameter.get("$ref")
        if (
            ref is not None
            and spec(package)["components"]["parameters"][ref.rsplit("/", 1)[-1]]["name"] == name
        ):
            return str(ref) + "/schema"
        if parameter.get("name") == name:
            return pointer("paths", operation.path, operation.method.lower(), "parameters", index, "schema")
    return None


@functools.cache
def parameter_validator(operation: Operation[Any], name: str) -> jsonschema_rs.Draft202012Validator:
    """The validator of the schema of the operation's parameter ``name``."""
    at = _parameter_at(operation, name)
    if at is None:
        raise KeyError(f"{operation.id} has no parameter {name!r}")
    return validator(at, package_of(operation))


def parameter_schema(operation: Operation[Any], name: str) -> dict[str, Any]:
    """The schema of the operation's parameter ``name`` as the spec has it (empty if it has none)."""
    at = _parameter_at(operation, name)
    if at is None:
        return {}
    found: Any = spec(package_of(operation))
    for part in at.removeprefix("#/").split("/"):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        found = found[int(part)] if isinstance(found, list) else found[part]
    schema: dict[str, Any] = found
    return schema


@functools.cache
def request_validator(operation: Operation[Any]) -> jsonschema_rs.Draft202012Validator:
    """The validator of the operation's JSON request body as it goes on the wire: for an API that wraps
    bodies (Kazoo's ``{"data": {...}}``) the wrapper with its fixed fields, not only the table's ``body``."""
    where = ("paths", operation.path, operation.method.lower(), "requestBody", "content", "application/json")
    return validator(pointer(*where, "schema"), package_of(operation))


@dataclass(frozen=True)
class Documented:
    """An operation's answer as the docs show it."""

    data: Any
    """The answer's data (all of it for an operation without the envelope); without an example, the
    emptiest value of the documented type (``{}``, ``[]`` or ``None``)."""
    message: str
    """The envelope's ``response_msg``."""

    def fresh_data(self) -> Any:
        """A copy of :attr:`data` to change and answer with."""
        return copy.deepcopy(self.data)


@functools.cache
def documented(operation: Operation[Any]) -> Documented:
    responses = _entry(operation)["responses"]
    for status in ("200", "201"):
        example = responses.get(status, {}).get("content", {}).get("application/json", {}).get("example")
        if example is None:
            continue
        if not operation.envelope:
            return Documented(example, "OK")
        return Documented(example.get("data"), example.get("response_msg") or "OK")
    return Documented(_emptiest(operation, responses.get("200", {})), "OK")


def resolved(schema: dict[str, Any], package: str = CLICKSEND) -> dict[str, Any]:
    """The schema a ``$ref`` of an API's spec names (followed until it is not one)."""
    while "$ref" in schema:
        schema = spec(package)["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def properties(schema: dict[str, Any], package: str = CLICKSEND) -> dict[str, dict[str, Any]]:
    """An object schema's properties, those of its ``allOf`` parts included."""
    schema = resolved(schema, package)
    found: dict[str, dict[str, Any]] = {}
    for part in schema.get("allOf", []):
        found.update(properties(part, package))
    found.update(schema.get("properties", {}))
    return found


def allows_null(schema: dict[str, Any]) -> bool:
    """Whether a value of the schema may be null (a schema that names no type allows anything)."""
    schema = resolved(schema)
    if "allOf" in schema:
        return all(allows_null(part) for part in schema["allOf"])
    if "anyOf" in schema or "oneOf" in schema:
        return any(allows_null(part) for part in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type")
    return kind is None or kind == "null" or (isinstance(kind, list) and "null" in kind)


def data_schema(operation: Operation[Any]) -> dict[str, Any]:
    """The schema of the operation's answer data (the envelope's ``data``, or the whole answer without
    one), as it is in the spec: not to be changed."""
    return _data(operation, _entry(operation)["responses"])


def _data(operation: Operation[Any], responses: dict[str, Any]) -> dict[str, Any]:
    response = responses.get("200") or responses.get("201") or {}
    data: dict[str, Any] = response.get("content", {}).get("application/json", {}).get("schema", {})
    if operation.envelope:  # allOf [Envelope, {properties: {data: …}}]
        data = properties(data, package_of(operation)).get("data", {})
    return data


def _emptiest(operation: Operation[Any], response: dict[str, Any]) -> Any:
    """The data of an answer the docs show no example of: another operation's example of the same schema
    (Get Reseller Settings answers the Account that Get Account shows, with the fields every account
    carries), else ``{}`` for an object, ``[]`` for an array, ``None`` for anything else."""
    package = package_of(operation)
    schema = _data(operation, {"200": response})
    shown = _shown_elsewhere(schema, package)
    if shown is not None:
        return shown
    data = resolved(schema, package)
    if data.get("type") == "object" or "properties" in data or "allOf" in data:
        return {}
    return [] if data.get("type") == "array" else None


def _shown_elsewhere(schema: dict[str, Any], package: str) -> Any:
    """The data of the first documented success answer (in the spec's order) whose data is ``schema``, a
    named one (``$ref``); ``None`` if no operation's example shows it."""
    if "$ref" not in schema:
        return None
    for item in spec(package)["paths"].values():
        for entry in item.values():
            content = entry.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            if "example" not in content:
                continue
            enveloped = entry.get("x-sdk-envelope", True)
            data = properties(content["schema"], package).get("data", {}) if enveloped else content["schema"]
            if data == schema:
                return content["example"].get("data") if enveloped else content["example"]
    return None
