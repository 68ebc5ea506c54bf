"""What the sandbox knows of each operation, read from the SDK's bundled spec."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class QueryParameter:
    name: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class SandboxOperation:
    """One operation as the sandbox routes, validates and answers it."""

    operation_id: str
    method: str
    path: str  # as in the spec, e.g. /lists/{list_id}/contacts
    auth: bool
    paginated: bool
    body_model: str | None
    body_required: bool
    path_parameters: dict[str, dict[str, Any]]
    query_parameters: list[QueryParameter]
    example: Any = field(repr=False)  # the documented answer (an envelope), or None
    empty_data: Any = field(repr=False, default=None)  # the emptiest data of the documented shape
    envelope: bool = True  # False: answered with the data itself (x-sdk-envelope: false)
    bulk: dict[str, Any] | None = None
    """The x-sdk-bulk of a send operation, shared with the price operation that takes the same body."""

    @property
    def example_data(self) -> Any:
        """The documented answer's data (a fresh copy), or the emptiest of its shape if none is documented."""
        if isinstance(self.example, dict):
            return copy.deepcopy(self.example.get("data") if self.envelope else self.example)
        return copy.deepcopy(self.empty_data)

    @property
    def static_segments(self) -> int:
        return sum(1 for part in self.path.split("/") if part and not part.startswith("{"))


@cache
def load_spec() -> dict[str, Any]:
    text = resources.files("aioclicksend._generated").joinpath("openapi.json").read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


def _parameter(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in parameter:
        resolved: dict[str, Any] = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        return resolved
    return parameter


def _example(operation: dict[str, Any]) -> Any:
    responses = operation.get("responses", {})
    for status in ("200", "201"):
        content = responses.get(status, {}).get("content", {}).get("application/json", {})
        if "example" in content:
            return content["example"]
    return None


def _empty_data(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    """{} for an object, [] for an array, None otherwise: what an answer without an example holds."""
    content = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
    data: dict[str, Any] = {}
    for part in content.get("schema", {}).get("allOf", []):
        data = part.get("properties", {}).get("data", data)
    while "$ref" in data:
        data = spec["components"]["schemas"][data["$ref"][len(SCHEMA_PREFIX) :]]
    if data.get("type") == "object" or "properties" in data or "allOf" in data:
        return {}
    return [] if data.get("type") == "array" else None


@cache
def operations() -> tuple[SandboxOperation, ...]:
    """Every operation of the spec, most specific paths first (static segments before parameters)."""
    spec = load_spec()
    bulk_by_body = {
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]: operation["x-sdk-bulk"]
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "x-sdk-bulk" in operation
    }
    found = []
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [_parameter(spec, parameter) for parameter in operation.get("parameters", [])]
            body = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            found.append(
                SandboxOperation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    auth=operation.get("security", spec.get("security")) != [],
                    paginated=operation.get("x-pagination") == "page",
                    body_model=body["$ref"][len(SCHEMA_PREFIX) :] if "$ref" in body else None,
                    body_required=bool(operation.get("requestBody", {}).get("required")),
                    path_parameters={p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "path"},
                    query_parameters=[
                        QueryParameter(p["name"], bool(p.get("required")), p.get("schema", {}))
                        for p in parameters
                        if p["in"] == "query"
                    ],
                    example=_example(operation),
                    empty_data=_empty_data(spec, operation),
                    envelope=operation.get("x-sdk-envelope", True) is not False,
                    bulk=bulk_by_body.get(body.get("$ref")) if method == "post" else None,
                )
            )
    found.sort(key=lambda operation: (-operation.static_segments, operation.path.count("{")))
    return tuple(found)
