"""The reader of the spec's operations: each one as a :class:`~codegen.ir.Method`, put together from the
readers of its parameters, request body, responses, paging and bulk sending, and grouped into resources.

Codegen renders these descriptions into the operation table (``_generated/operations.py``), the
resources and the client; the request loop, the sandbox and the tests read those generated tables, so
nothing else parses operations out of the spec. A spec mistake fails here, with an error naming the
operation and the field.
"""

from __future__ import annotations

from typing import Any

from .bulk import link_history, read_bulk
from .bundle import SpecError
from .fields import required
from .ir import Api, Argument, Method, Resource
from .names import MODULE_NAMES, is_lower_snake_case
from .paging import read_pages
from .parameters import read_parameters
from .request_body import read_body
from .responses import read_response
from .schemas import Annotator

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
REQUIRED = ("operationId", "x-sdk-resource", "x-sdk-method", "x-docs-section")
RESERVED_ATTRIBUTES = {"with_raw_response"}
"""Names a resource has of its own, which no method or child resource may take."""


def read_api(spec: dict[str, Any]) -> Api:
    """Every operation of the spec, grouped into resources (a tree of ``client.<a>.<b>``)."""
    annotator = Annotator(spec.get("components", {}).get("schemas", {}))
    by_path: dict[str, Resource] = {}
    seen_ids: set[str] = set()
    for path, item in spec.get("paths", {}).items():
        for http_method in [name for name in HTTP_METHODS if name in item]:
            where = f"{http_method.upper()} {path}"
            method = read_method(spec, annotator, path, http_method, item[http_method], where)
            if method.operation_id in seen_ids:
                raise SpecError(f"{where}: operationId {method.operation_id} is used twice")
            seen_ids.add(method.operation_id)
            _resource(by_path, method.qualified_name.rsplit(".", 1)[0]).methods.append(method)
    for resource_path, resource in sorted(by_path.items()):
        if "." in resource_path:
            by_path[resource_path.rsplit(".", 1)[0]].children.append(resource)
    for resource_path, resource in by_path.items():
        _check_names(resource)
        resource.methods.sort(key=lambda method: method.name)
        for method in resource.methods:
            if method.bulk is not None:
                link_history(by_path, resource_path, method)
    return Api([resource for name, resource in sorted(by_path.items()) if "." not in name])


def _resource(by_path: dict[str, Resource], resource_path: str) -> Resource:
    """The resource of a dotted path, made with its parents when first named."""
    parts = resource_path.split(".")
    for depth in range(1, len(parts) + 1):
        by_path.setdefault(".".join(parts[:depth]), Resource(".".join(parts[:depth])))
    return by_path[resource_path]


def _check_names(resource: Resource) -> None:
    names = [method.name for method in resource.methods] + [child.attribute for child in resource.children]
    clashes = sorted({name for name in names if names.count(name) > 1} | (RESERVED_ATTRIBUTES & set(names)))
    if clashes:
        raise SpecError(f"resource {resource.path}: names used twice or reserved: {clashes}")


def read_method(
    spec: dict[str, Any],
    annotator: Annotator,
    path: str,
    http_method: str,
    operation: dict[str, Any],
    where: str,
) -> Method:
    for key in REQUIRED:
        required(operation, key, str, where)
    where = f"{where} ({operation['operationId']})"
    name = operation["x-sdk-method"]
    if not is_lower_snake_case(name) or name in MODULE_NAMES:
        raise SpecError(f"{where}: x-sdk-method {name!r} is not a usable method name (lower_snake_case)")
    if not all(is_lower_snake_case(part) for part in operation["x-sdk-resource"].split(".")):
        raise SpecError(f"{where}: x-sdk-resource must be lower_snake_case names joined by dots")
    parameters = read_parameters(spec, annotator, operation, where)
    body = read_body(spec, annotator, operation, where)
    arguments = _arguments([*parameters, *(body.arguments if body else [])], where)
    response = read_response(annotator, operation, where)
    return Method(
        name=name,
        operation_id=operation["operationId"],
        qualified_name=f"{operation['x-sdk-resource']}.{name}",
        http_method=http_method.upper(),
        path=path,
        idempotent=http_method == "get" or bool(operation.get("x-idempotent")),
        auth=operation.get("security", spec.get("security")) != [],
        summary=operation.get("summary", "").strip(),
        description=(operation.get("description") or "").strip(),
        docs_section=operation["x-docs-section"],
        arguments=arguments,
        body=body,
        response=response,
        multipart=bool(operation.get("x-sdk-multipart")),
        pages=read_pages(annotator, operation, response.data, arguments, where),
        bulk=read_bulk(annotator, operation, body, response.data, where),
        deprecated=bool(operation.get("deprecated")),
    )


def _arguments(arguments: list[Argument], where: str) -> list[Argument]:
    """The method's arguments, required first (the spec's order kept), each name once."""
    names = [argument.name for argument in arguments]
    clashes = sorted({argument for argument in names if names.count(argument) > 1})
    if clashes:
        raise SpecError(f"{where}: parameters and body fields that give the same argument name: {clashes}")
    return sorted(arguments, key=lambda argument: not argument.required)
