"""The reader of ``x-sdk-bulk``: how a send is split into batches, where its answer gives each
recipient's result and price, and which paged history reconciles it."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .fields import required, typed
from .ir import Argument, Bulk, Method, RequestBody, Resource
from .messages import read_message_rules
from .names import REF_PREFIX, schema_name
from .runtime import BULK_OPTIONS
from .schemas import Annotator

REQUIRED = ("items", "results", "price", "history")
DEFAULT_MAX_BATCH = 1000


def read_bulk(
    annotator: Annotator,
    operation: dict[str, Any],
    body: RequestBody | None,
    data: dict[str, Any] | None,
    where: str,
) -> Bulk | None:
    """The send's batching, or ``None`` without ``x-sdk-bulk`` (its history: :func:`link_history`)."""
    bulk = typed(operation, "x-sdk-bulk", dict, where)
    if bulk is None:
        return None
    for key in REQUIRED:
        required(bulk, key, str, f"{where}: x-sdk-bulk")
    if body is None or not data or "$ref" not in data:
        raise SpecError(f"{where}: x-sdk-bulk needs a request body and a $ref answer")
    items = annotator.schemas[body.model].get("properties", {}).get(bulk["items"], {})
    if items.get("type") != "array" or "$ref" not in items.get("items", {}):
        raise SpecError(f"{where}: x-sdk-bulk items {bulk['items']!r} is not an array of a named schema")
    item_model = schema_name(items["items"]["$ref"])
    return Bulk(
        messages=read_message_rules(bulk, annotator.schemas[item_model].get("properties", {}), where),
        item_model=item_model,
        max_batch=items.get("maxItems", DEFAULT_MAX_BATCH),
        results=bulk["results"],
        result_item=_result_item(annotator, bulk, data, where),
        price=bulk["price"],
        history=bulk["history"],
        shared=_shared(body.arguments, bulk["items"], where),
    )


def _result_item(annotator: Annotator, bulk: dict[str, Any], data: dict[str, Any], where: str) -> str:
    """The schema of a recipient's result: an item of the answer's ``results`` array, with a ``price``."""
    results = annotator.resolve(data).get("properties", {}).get(bulk["results"], {})
    result_item = schema_name(results.get("items", {}).get("$ref", f"{REF_PREFIX}Missing"))
    fields = annotator.schemas.get(result_item, {}).get("properties", {})
    if results.get("type") != "array" or bulk["price"] not in fields:
        raise SpecError(
            f"{where}: x-sdk-bulk results {bulk['results']!r} is not an array with {bulk['price']!r}"
        )
    return result_item


def _shared(body_arguments: list[Argument], items: str, where: str) -> list[Argument]:
    """The body's other fields, the same for every batch (required first, as the method takes them)."""
    shared = [argument for argument in body_arguments if argument.wire_name != items]
    taken = sorted({argument.name for argument in shared} & {option.name for option in BULK_OPTIONS})
    if taken:
        raise SpecError(f"{where}: x-sdk-bulk: body fields named as settings of send_bulk: {taken}")
    return sorted(shared, key=lambda argument: not argument.required)


def link_history(by_path: dict[str, Resource], resource_path: str, method: Method) -> None:
    """Point a bulk send at its history: a paged operation of the same part of the API."""
    assert method.bulk is not None
    *children, history_method = f"{resource_path}.{method.bulk.history}".split(".")
    history = by_path.get(".".join(children))
    found = [known for known in history.methods if known.name == history_method] if history else []
    if not found or found[0].paging is None or found[0].part != method.part:
        raise SpecError(
            f"{method.qualified_name}: x-sdk-bulk history {method.bulk.history!r} is not a paged operation "
            "of the same part of the API"
        )
    method.bulk.history_method = found[0]
