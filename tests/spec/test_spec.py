"""The spec itself: valid OpenAPI, and every operation carries what the codegen and the docs need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from codegen.coverage import OTHER_SOURCES, docs_sections
from codegen.generate import request_schemas

from ..support import OPERATIONS, SPEC

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def operations() -> list[dict[str, Any]]:
    return [
        operation
        for item in SPEC["paths"].values()
        for verb, operation in item.items()
        if verb in HTTP_METHODS
    ]


def test_bundled_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_every_operation_is_annotated() -> None:
    for operation in operations():
        missing = {"operationId", "x-sdk-resource", "x-sdk-method", "x-docs-section"} - set(operation)
        assert not missing, f"{operation.get('operationId')}: missing {missing}"


def test_docs_sections_and_sdk_names_are_unique() -> None:
    sections = [operation["x-docs-section"] for operation in operations()]
    assert len(sections) == len(set(sections))
    names = [operation.name for operation in OPERATIONS]
    assert len(names) == len(set(names))


def test_idempotent_marks_only_on_non_get() -> None:
    for item in SPEC["paths"].values():
        assert "x-idempotent" not in item.get("get", {}), "GET is always safe to repeat; no mark needed"


ROOT = Path(__file__).resolve().parent.parent.parent


def test_coverage_table_maps_every_docs_section_to_one_operation() -> None:
    sections = docs_sections(ROOT / "openapi" / "docs-sections.txt")
    documented = [operation["x-docs-section"] for operation in operations()]
    assert sorted(sections) == sorted(title for title in documented if not title.startswith(OTHER_SOURCES))
    rows = [
        line for line in (ROOT / "openapi" / "COVERAGE.md").read_text().splitlines() if line.startswith("| ")
    ][2:]
    covered = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    extras = sorted(
        operation["x-docs-section"]
        for operation in operations()
        if operation["x-docs-section"].startswith(OTHER_SOURCES)
    )
    assert covered == sections + extras
    by_section = {operation["x-docs-section"]: operation for operation in operations()}
    for row, title in zip(rows, covered, strict=True):
        assert f"| {by_section[title]['operationId']} |" in row


def test_no_description_was_cut_at_a_comma() -> None:
    """A property written ``{type: string, description: A, b}`` in YAML flow style is cut at the comma: its
    description becomes "A" and "b" a keyword with no value. Such descriptions are quoted."""
    for name, schema in SPEC["components"]["schemas"].items():
        for field, field_schema in schema.get("properties", {}).items():
            cut = [
                key
                for key, value in field_schema.items()
                if value is None and key not in ("default", "const")
            ]
            assert not cut, f"{name}.{field}: the description was cut before {cut}; quote it"


def test_every_unix_time_a_request_sends_is_marked() -> None:
    """A request field or query parameter the docs call a Unix time refers to UnixTimeInput, so that it takes
    a datetime too."""
    schemas = SPEC["components"]["schemas"]
    unmarked = [
        f"{name}.{field}"
        for name in request_schemas(SPEC)
        for field, field_schema in schemas[name].get("properties", {}).items()
        if "unix time" in field_schema.get("description", "").lower()
        and field_schema.get("$ref") != "#/components/schemas/UnixTimeInput"
    ]
    unmarked += [
        f"{operation['operationId']} {parameter['name']}"
        for operation in operations()
        for parameter in operation.get("parameters", [])
        if "unix time" in parameter.get("description", "").lower()
        and parameter.get("schema") != {"$ref": "#/components/schemas/UnixTimeInput"}
    ]
    assert unmarked == []
    assert schemas["SmsMessage"]["properties"]["schedule"]["$ref"] == "#/components/schemas/UnixTimeInput"
