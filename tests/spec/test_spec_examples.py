"""Every example in the spec holds against its own schema, checked with the sandbox's validator (jsonschema-rs,
Draft 2020-12, $refs resolved in the bundled spec): request bodies against the request schema, answers
against the answer's schema (the envelope and its data). The envelope is read from the operation table:
a wrapped answer's example is an envelope (its data and at most the other envelope fields), and a bare one's
is not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aioclicksend._core.operation import Operation
from aioclicksend.sandbox._openapi import pointer, validator

from ..support import OPERATIONS, SPEC, by_name, example, operation_of

ENVELOPE_FIELDS = {"http_code", "response_code", "response_msg", "data"}


def documented_examples(node: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str, Any]]:
    """Each JSON example of the spec: where it is, the pointer to the schema beside it, the example."""
    if isinstance(node, dict):
        if where and where[-1] == "application/json" and "example" in node:
            yield " ".join(map(str, where[:-2])), pointer(*where, "schema"), node["example"]
        for key, value in node.items():
            yield from documented_examples(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from documented_examples(value, (*where, index))


EXAMPLES = list(documented_examples(SPEC))


def problems(schema_at: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator(schema_at).iter_errors(instance)
    ]


def test_the_spec_has_examples_to_check() -> None:
    places = [place for place, _, _ in EXAMPLES]
    answered = {
        f"paths {operation.path} {operation.method.lower()} responses {status}"
        for operation in OPERATIONS
        for status, response in operation_of(operation)["responses"].items()
        if example(response) is not None
    }
    assert answered and answered <= set(places)
    assert any("requestBody" in place for place in places) and "components responses Error" in places


@pytest.mark.parametrize(
    ("schema_at", "instance"), [found[1:] for found in EXAMPLES], ids=[found[0] for found in EXAMPLES]
)
def test_every_example_holds_against_its_schema(schema_at: str, instance: Any) -> None:
    assert problems(schema_at, instance) == []


def answer_examples(operation: Operation[Any]) -> list[Any]:
    responses = operation_of(operation)["responses"]
    documented = [example(response) for status, response in responses.items() if status.startswith("2")]
    return [answer for answer in documented if answer is not None]


@pytest.mark.parametrize("operation", OPERATIONS, ids=by_name)
def test_answer_examples_are_wrapped_as_the_table_says(operation: Operation[Any]) -> None:
    for instance in answer_examples(operation):
        if operation.envelope:
            assert isinstance(instance, dict) and "data" in instance, "the envelope is missing"
            assert set(instance) <= ENVELOPE_FIELDS, "fields of the data outside it"
        else:
            assert not (isinstance(instance, dict) and "http_code" in instance), "an envelope around it"
