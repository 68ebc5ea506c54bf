"""Codegen on a scratch spec: field names that collide with Python or with the generated code's own names
give a working method, and names that cannot be told apart fail with an error naming the spec."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from aioclicksend._core.auth import BasicCredentials
from codegen.bundle import SpecError
from codegen.generate import ApiSource, generate

from ..support import ANY_URL, MockAPI, sent, sent_json

HOSTILE = [
    "options",
    "self",
    "timeout",
    "from",
    "cls",
    "builtins",
    "models",
    "x-y",
    "_private",
    "extra_body",
    "params",
    "str",
]


def scratch_spec(properties: list[str]) -> dict[str, Any]:
    """One operation whose body has ``properties``, with what every spec's root needs."""
    envelope = {"$ref": "#/components/schemas/Envelope"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "scratch", "version": "1"},
        "servers": [{"url": "https://api.clicksend.test/v3"}],
        "security": [{"basic": []}],
        "x-sdk-error": {"code": "response_code", "message": "response_msg"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "CreateThing",
                    "summary": "Create Thing",
                    "x-docs-section": "Create Thing",
                    "x-sdk-resource": "things",
                    "x-sdk-method": "create",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "allOf": [
                                            envelope,
                                            {"properties": {"data": {"$ref": "#/components/schemas/Thing"}}},
                                        ]
                                    }
                                }
                            },
                        },
                        "default": {"$ref": "#/components/responses/Error"},
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
            "responses": {
                "Error": {"description": "An error", "content": {"application/json": {"schema": envelope}}}
            },
            "schemas": {
                "Envelope": {
                    "type": "object",
                    "properties": {
                        "http_code": {"type": "integer"},
                        "response_code": {"type": "string"},
                        "data": {},
                    },
                },
                "Thing": {"type": "object", "properties": {name: {"type": "string"} for name in properties}},
            },
        },
    }


def write_spec(folder: Path, spec: dict[str, Any]) -> ApiSource:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "openapi.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    (folder / "docs-sections.txt").write_text("Create Thing\n", encoding="utf-8")
    return ApiSource(folder, folder / "out", "a scratch spec")


async def test_hostile_field_names_give_a_working_method(
    tmp_path: Path, package: Path, mocked: MockAPI
) -> None:
    source = write_spec(tmp_path / "spec", scratch_spec(HOSTILE))
    generate(source, output=package / "_generated", coverage=tmp_path / "COVERAGE.md")
    client_module = importlib.import_module("scratchapi._generated.client")
    client = client_module.GeneratedClient(
        credentials=BasicCredentials("user", "key"), base_url="https://api.clicksend.test/v3"
    )
    mocked.post(ANY_URL, payload={"http_code": 200, "data": {"options": "o"}})
    arguments = {
        "options": "o",
        "self_": "s",
        "timeout_": "t",
        "from_": "f",
        "cls": "c",
        "builtins": "b",
        "models": "m",
        "x_y": "xy",
        "private": "p",
        "extra_body_": "e",
        "params": "pa",
        "str": "st",
    }
    async with client:
        thing = await client.things.create(**arguments, timeout=5)
    assert thing.options == "o"
    [(_, _, request)] = sent(mocked)
    assert sent_json(request) == dict(zip(HOSTILE, arguments.values(), strict=True))
    # The TypedDict keeps the API's keys; those a class body cannot hold, or would hide names the
    # annotations use, go in its functional base (checked at run time: NotRequired read as such).
    params = importlib.import_module("scratchapi._generated.params")
    assert params.ThingParam.__optional_keys__ == set(HOSTILE)
    assert set(params._ThingParamKeys.__annotations__) == {"from", "x-y", "models", "str"}


def test_names_that_cannot_be_told_apart_name_the_operation(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "spec", scratch_spec(["x-y", "x_y"]))
    with pytest.raises(SpecError, match=r"POST /things \(CreateThing\).*\['x_y'\]"):
        generate(source, output=tmp_path / "out", coverage=tmp_path / "COVERAGE.md")


def test_the_generated_table_is_the_only_reading_of_the_spec() -> None:
    """What codegen read (the bundled spec it wrote) and what the table holds agree, operation by operation."""
    from aioclicksend._generated.operations import OPERATIONS

    spec = json.loads(
        (Path(__file__).parent.parent.parent / "src/aioclicksend/_generated/openapi.json").read_text()
    )
    described = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert {(operation.method, operation.path) for operation in OPERATIONS} == described


def test_a_spec_openapi_refuses_is_a_spec_error_naming_the_problem(tmp_path: Path) -> None:
    """An operationId given twice (e.g. a new operation named like one in another resource file) is said
    as codegen says spec errors, not as a traceback from the validator."""
    spec = scratch_spec(["name"])
    spec["paths"]["/other-things"] = spec["paths"]["/things"]
    with pytest.raises(SpecError, match=r"not valid OpenAPI: Operation ID 'CreateThing'.* is not unique"):
        generate(
            write_spec(tmp_path / "spec", spec), output=tmp_path / "out", coverage=tmp_path / "COVERAGE.md"
        )
