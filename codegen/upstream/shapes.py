"""Any OpenAPI document (3.0 or 3.1) read as what a comparison needs: each operation by method and path
(path parameters normalised to ``{}``, the server's base path in front), and its fields flattened to
dotted names with their JSON types and enums.

Fields are named by where they are: ``path {1}`` (the first path parameter), ``query limit``,
``body messages[].to``, ``answer data.total_price`` (``[]`` is an array's item). ``$ref``, ``allOf``,
``oneOf`` and ``anyOf`` are followed; a schema that refers to itself is described once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
COMPOSITIONS = ("allOf", "oneOf", "anyOf")
PATH_PARAMETER = re.compile(r"\{[^/{}]*\}")
JSON_MEDIA = re.compile(r"^application/(.+\+)?json")


class UpstreamError(Exception):
    """A document the comparison cannot read; the message says where."""


@dataclass(frozen=True)
class Shape:
    """A field's JSON types (``null`` left out: both specs use it loosely) and its enum, if any."""

    types: frozenset[str]
    enum: frozenset[str] | None = None


@dataclass
class OperationShape:
    key: tuple[str, str]
    """The HTTP method and the normalised full path, e.g. ``("GET", "/v3/sms/templates/{}")``."""
    name: str
    """The operationId (and SDK method, for ours), to name it in the report."""
    fields: dict[str, Shape] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.key[0]} {self.key[1]} ({self.name})"


def normalised_path(path: str) -> str:
    """A path with every parameter as ``{}`` and no trailing slash: ``/sms/{message_id}`` → ``/sms/{}``."""
    return PATH_PARAMETER.sub("{}", path).rstrip("/") or "/"


def base_path(spec: Mapping[str, Any]) -> str:
    """The path of the first server's URL (``https://rest.clicksend.com/v3`` → ``/v3``); empty without."""
    servers = spec.get("servers") or [{}]
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


def operation_shapes(
    spec: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> dict[tuple[str, str], OperationShape]:
    """Every operation of ``spec`` by its key. ``names`` maps an operationId to the label it is reported
    by (default: the operationId)."""
    schemas = Schemas(spec)
    prefix = base_path(spec)
    found: dict[tuple[str, str], OperationShape] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in [name for name in HTTP_METHODS if name in item]:
            operation = item[method]
            key = (method.upper(), normalised_path(prefix + path))
            operation_id = str(operation.get("operationId", f"{method.upper()} {path}"))
            shape = OperationShape(key, (names or {}).get(operation_id, operation_id))
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = schemas.resolve(parameter)
                name = _parameter_name(path, parameter)
                if name is not None:
                    schemas.flatten(parameter.get("schema", {}), parameter["in"], name, shape.fields)
            body = _json_schema(schemas.resolve(operation.get("requestBody") or {}))
            if body is not None:
                schemas.flatten(body, "body", "", shape.fields)
            answer = _json_schema(schemas.resolve(_success(operation)))
            if answer is not None:
                schemas.flatten(answer, "answer", "", shape.fields)
            found[key] = shape
    return found


def _parameter_name(path: str, parameter: Mapping[str, Any]) -> str | None:
    """How a parameter is named among the fields: a query parameter by its name, a path parameter by its
    place in the path (``{1}``: the names differ between specs, the places do not); None for the others
    (headers and cookies)."""
    if parameter.get("in") == "query":
        return str(parameter["name"])
    names = [match[1:-1] for match in PATH_PARAMETER.findall(path)]
    if parameter.get("in") == "path" and parameter.get("name") in names:
        return f"{{{names.index(parameter['name']) + 1}}}"
    return None


def _success(operation: Mapping[str, Any]) -> Any:
    """The first 2xx answer (``{}`` without one); YAML may have read its code as a number."""
    answers = sorted((str(code), answer) for code, answer in (operation.get("responses") or {}).items())
    return next((answer for code, answer in answers if code.startswith("2")), {})


def _json_schema(holder: Mapping[str, Any]) -> Any:
    """The schema of a request body's or an answer's JSON content; None when it has none."""
    for media, content in (holder.get("content") or {}).items():
        if JSON_MEDIA.match(media) and isinstance(content, Mapping) and "schema" in content:
            return content["schema"]
    return None


class Schemas:
    """The document's ``$ref``s resolved, and its schemas flattened to fields."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def resolve(self, node: Any) -> Mapping[str, Any]:
        """``node`` with its ``$ref`` followed (a local ``#/...`` reference; chains too)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            reference = str(node["$ref"])
            if not reference.startswith("#/") or reference in seen:
                raise UpstreamError(f"cannot follow $ref {reference!r}: only local, acyclic references")
            seen.add(reference)
            node = self.spec
            for part in reference[2:].split("/"):
                if not isinstance(node, Mapping) or part not in node:
                    raise UpstreamError(f"$ref {reference!r} names nothing in the document")
                node = node[part]
        if not isinstance(node, Mapping):
            raise UpstreamError(f"expected a schema or an object, not {node!r:.60}")
        return node

    def flatten(
        self,
        node: Any,
        location: str,
        path: str,
        into: dict[str, Shape],
        within: frozenset[str] = frozenset(),
    ) -> None:
        """``node``'s shape in ``into`` as ``"<location> <path>"`` (the root of a body or answer, path "",
        is not a field), then its properties' and items' below it. ``within``: the references being
        described, which are not entered again."""
        reference = node.get("$ref") if isinstance(node, Mapping) else None
        if reference in within:
            return
        branches: list[Mapping[str, Any]] = []
        within = self._branches(node, within, branches)
        if path:
            into[f"{location} {path}"] = Shape(_types(branches), _enum(branches))
        for branch in branches:
            for child, schema in (branch.get("properties") or {}).items():
                self.flatten(schema, location, f"{path}.{child}" if path else str(child), into, within)
            if isinstance(branch.get("items"), Mapping):
                self.flatten(branch["items"], location, f"{path}[]", into, within)

    def _branches(self, node: Any, within: frozenset[str], found: list[Mapping[str, Any]]) -> frozenset[str]:
        """``node`` resolved and, recursively, the schemas its compositions hold, added to ``found``; the
        references entered on the way added to ``within`` (returned)."""
        reference = node.get("$ref") if isinstance(node, Mapping) else None
        if reference is not None:
            within |= {str(reference)}
        schema = self.resolve(node)
        found.append(schema)
        for composition in COMPOSITIONS:
            for branch in schema.get(composition) or []:
                if not isinstance(branch, Mapping) or branch.get("$ref") not in within:
                    within = self._branches(branch, within, found)
        return within


def _types(branches: list[Mapping[str, Any]]) -> frozenset[str]:
    found: set[str] = set()
    for branch in branches:
        declared = branch.get("type")
        found.update([declared] if isinstance(declared, str) else declared or [])
        if declared is None and "properties" in branch:
            found.add("object")
        if declared is None and "items" in branch:
            found.add("array")
    return frozenset(found - {"null"})


def _enum(branches: list[Mapping[str, Any]]) -> frozenset[str] | None:
    values = [value for branch in branches for value in branch.get("enum") or []]
    return frozenset(str(value) for value in values if value is not None) or None
