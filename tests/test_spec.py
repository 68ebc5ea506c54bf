"""The spec itself: valid OpenAPI, and every operation carries what the codegen and the docs need."""

from __future__ import annotations

from openapi_spec_validator import validate

from .conftest import SPEC, spec_methods

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def operations() -> list[dict[str, object]]:
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
    names = [method.qualified_name for method in spec_methods()]
    assert len(names) == len(set(names))


def test_idempotent_marks_only_on_non_get() -> None:
    for item in SPEC["paths"].values():
        assert "x-idempotent" not in item.get("get", {}), "GET is always safe to repeat; no mark needed"
