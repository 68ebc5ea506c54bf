"""Every operation in the spec, driven from its own examples: request shape and response parsing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from aioclicksend import AsyncClickSend
from aioclicksend._core.operation import Operation

from ..support import (
    ANY_URL,
    API_KEY,
    OPERATIONS,
    USERNAME,
    MockAPI,
    by_name,
    call_arguments,
    example,
    invoke,
    operation_of,
    response_example,
    sent,
    sent_json,
)

Method = Operation[Any]


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


def answer_as_documented(mocked: MockAPI, method: Method) -> Any:
    """Have the mock give the documented answer (the emptiest of its shape when the docs show none)."""
    answer = response_example(method)
    if answer is None and "200" in operation_of(method)["responses"]:
        answer = empty_answer(method)
    if answer is None:  # the few operations the docs show answering 204 No Content
        mocked.add(ANY_URL, method.method, status=204, body=b"")
    else:
        mocked.add(ANY_URL, method.method, payload=answer)
    return answer


@pytest.mark.parametrize("method", OPERATIONS, ids=by_name)
async def test_request_shape_and_response(client: AsyncClickSend, mocked: MockAPI, method: Method) -> None:
    kwargs, path_values, query = call_arguments(method)
    answer = answer_as_documented(mocked, method)

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


@pytest.mark.parametrize("method", OPERATIONS, ids=by_name)
async def test_extra_body_and_query_reach_the_wire(
    client: AsyncClickSend, mocked: MockAPI, method: Method
) -> None:
    """Every operation takes fields and parameters the spec does not know yet, sent as given."""
    kwargs, _, query = call_arguments(method)
    answer_as_documented(mocked, method)
    await invoke(client, method, {**kwargs, "extra_body": {"not_in_spec": [1]}, "extra_query": {"also": "x"}})
    [(_, url, request)] = sent(mocked)
    documented = example(operation_of(method).get("requestBody")) or {}
    assert sent_json(request) == {**documented, "not_in_spec": [1]}
    assert dict(url.query) == {**query, "also": "x"}
