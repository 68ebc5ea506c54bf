"""Every operation in the spec, driven from its own examples: request shape and response parsing."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from aioresponses import aioresponses
from pydantic import BaseModel, TypeAdapter

from aioclicksend import AsyncClickSend
from aioclicksend._operation import Operation
from codegen.operations import python_name

from .conftest import API_KEY, OPERATIONS, SPEC, USERNAME, by_name, operation_of, sent, sent_json

ANY_URL = re.compile(r"^https://api\.clicksend\.test/v3/.*$")
Method = Operation[Any]


def example(content_owner: dict[str, Any] | None) -> Any:
    return (content_owner or {}).get("content", {}).get("application/json", {}).get("example")


def response_example(method: Method) -> Any:
    """The documented answer of an operation, if the docs show one."""
    responses = operation_of(method)["responses"]
    return example(responses.get("200") or responses.get("201"))


def answer_data(method: Method, answer: Any) -> Any:
    """What the method returns from a documented answer: its envelope's data, or all of it when unwrapped."""
    if not answer:
        return None
    return answer.get("data") if method.envelope else answer


def empty_answer(method: Method) -> dict[str, Any]:
    if method.paging is not None and method.paging.style == "page":
        data: Any = {"total": 0, "current_page": 1, "last_page": 1, "data": []}
    elif isinstance(method.result_type, type) and issubclass(method.result_type, BaseModel):
        data = {}
    else:
        data = None
    return {"http_code": 200, "response_code": "SUCCESS", "response_msg": "OK", "data": data}


def parameter_schema(method: Method, wire_name: str) -> dict[str, Any]:
    for parameter in operation_of(method).get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        if parameter["name"] == wire_name:
            return parameter.get("schema", {})  # type: ignore[no-any-return]
    return {}


def sample_value(method: Method, kind: str, wire_name: str) -> Any:
    """A plausible value for a path or query argument, by its type, within the spec's bounds."""
    if kind == "integer":
        value = 1436849372 if "date" in wire_name or "after" in wire_name else 4321
        return min(value, parameter_schema(method, wire_name).get("maximum", value))
    return f"sample-{python_name(wire_name)}"


def call_arguments(method: Method) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Keyword arguments for a call, the path values and the query expected on the wire."""
    kwargs: dict[str, Any] = {}
    path_values: dict[str, str] = {}
    query: dict[str, str] = {}
    for parameter in method.parameters:
        if parameter.location == "path" or parameter.required:
            value = sample_value(method, parameter.kind, parameter.name)
            kwargs[python_name(parameter.name)] = value
            (path_values if parameter.location == "path" else query)[parameter.name] = str(value)
    if method.paging is not None and method.paging.style == "page":
        kwargs["limit"] = 50
        query.update(limit="50", page="1")
    body = example(operation_of(method).get("requestBody"))
    for wire_name, value in (body or {}).items():
        kwargs[python_name(wire_name)] = value
    return kwargs, path_values, query


async def invoke(client: AsyncClickSend, method: Method, kwargs: dict[str, Any]) -> Any:
    target: Any = client
    for part in method.name.split("."):
        target = getattr(target, part)
    return await target(**kwargs)


@pytest.mark.parametrize("method", OPERATIONS, ids=by_name)
async def test_request_shape_and_response(
    client: AsyncClickSend, mocked: aioresponses, method: Method
) -> None:
    kwargs, path_values, query = call_arguments(method)
    answer = response_example(method)
    if answer is None and "200" in operation_of(method)["responses"]:
        answer = empty_answer(method)  # documented without an example: the emptiest answer of that shape
    if answer is None:  # the few operations the docs show answering 204 No Content
        mocked.add(ANY_URL, method.method, status=204, body=b"")
    else:
        mocked.add(ANY_URL, method.method, payload=answer)

    result = await invoke(client, method, kwargs)

    [(http_method, url, request)] = sent(mocked)
    assert http_method == method.method
    assert url.path == "/v3" + method.path.format(**{k: v for k, v in path_values.items()})
    assert dict(url.query) == query
    credentials = "Basic " + base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
    assert request["headers"].get("Authorization") == (credentials if method.auth else None)
    body = example(operation_of(method).get("requestBody"))
    assert sent_json(request) == body
    if body is not None:
        assert request["headers"]["Content-Type"] == "application/json"

    expected = TypeAdapter(method.result_type).validate_python(answer_data(method, answer))
    assert result == expected
    if isinstance(expected, BaseModel):
        assert type(result) is type(expected)


def undeclared_fields(value: Any, where: str = "data") -> list[str]:
    """Fields of a parsed answer that the spec does not declare (kept only as model extras)."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{where}.{name}" for name in value.model_extra or {}]
        for name in type(value).model_fields:
            found += undeclared_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared_fields(item, f"{where}[{index}]")
    return found


@pytest.mark.parametrize(
    "method", [method for method in OPERATIONS if response_example(method) is not None], ids=by_name
)
def test_documented_answer_is_fully_typed(method: Method) -> None:
    """Each response example of the docs parses without error, and every field in it is declared in the spec."""
    answer = response_example(method)
    parsed = TypeAdapter(method.result_type).validate_python(answer_data(method, answer))
    allowed = set(operation_of(method).get("x-sdk-undeclared-fields", []))
    assert [field for field in undeclared_fields(parsed) if field.rsplit(".", 1)[-1] not in allowed] == []
