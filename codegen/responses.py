"""The reader of an operation's ``responses``: the schema and type of what it answers, wrapped in the
envelope or not (``x-sdk-envelope``), JSON or a document (``x-sdk-binary``)."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .ir import Response
from .schemas import Annotator

SUCCESS = ("200", "201", "204")


def read_response(annotator: Annotator, operation: dict[str, Any], where: str) -> Response:
    data = _data_schema(operation, where)
    binary = bool(operation.get("x-sdk-binary"))
    return Response(
        data=data,
        annotation="BinaryResponse" if binary else annotator.annotate(data, argument=False),
        envelope=operation.get("x-sdk-envelope", True) is not False,
        binary=binary,
        accept=_accept(operation) if binary else "application/json",
    )


def _data_schema(operation: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The schema of what an operation answers: the envelope's ``data``, or with ``x-sdk-envelope: false``
    the answer's whole schema."""
    responses = operation.get("responses", {})
    success = next((responses[code] for code in SUCCESS if code in responses), None)
    if success is None:
        raise SpecError(f"{where}: no 200/201/204 response")
    content = success.get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content.get("schema", {})
    if operation.get("x-sdk-envelope", True) is False:
        return schema  # type: ignore[no-any-return]
    for part in schema.get("allOf", []):
        data = part.get("properties", {}).get("data")
        if data is not None:
            return data  # type: ignore[no-any-return]
    raise SpecError(f"{where}: the response schema must be allOf [Envelope, {{properties: {{data: ...}}}}]")


def _accept(operation: dict[str, Any]) -> str:
    """A document's Accept header: the media types of its success answer, then JSON (which errors are)."""
    success = [answer for status, answer in operation["responses"].items() if str(status).startswith("2")]
    types = [kind for answer in success for kind in answer.get("content", {})]
    if not types:
        raise SpecError(f"{operation['operationId']}: x-sdk-binary needs a 2xx answer with its media types")
    return ", ".join([*types, "application/json;q=0.1"])
