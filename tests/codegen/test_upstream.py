"""Upstream tracking (``python -m codegen.upstream``, ``nox -s upstream``): our specs against ClickSend's
published spec and the Kazoo faxes document, on a synthetic upstream-shaped fixture (the real spec is not
vendored) and a small document in 004's shape."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from codegen.bundle import bundle
from codegen.upstream.__main__ import PINS, SEEDS, main, read_pins
from codegen.upstream.compare import compare, render
from codegen.upstream.kazoo import row_shape, seed_operations
from codegen.upstream.shapes import Shape, UpstreamError, operation_shapes

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "upstream_openapi.yaml"
SEND = ("POST", "/v3/sms/send")
TEMPLATE = ("GET", "/v3/sms/templates/{}")


def spec(paths: dict[str, object], schemas: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "servers": [{"url": "https://api.test/v3"}],
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


def answering(schema: Mapping[str, object]) -> dict[str, object]:
    return {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}


def test_shapes_normalise_paths_and_flatten_refs_and_compositions() -> None:
    schemas = {
        "Node": {
            "type": "object",
            "properties": {
                "name": {"type": ["string", "null"]},
                "child": {"$ref": "#/components/schemas/Node"},
            },
        },
        "Tagged": {
            "allOf": [
                {"$ref": "#/components/schemas/Node"},
                {"properties": {"tag": {"enum": ["a", "b", None]}}},
            ]
        },
    }
    operation = {
        "operationId": "GetThing",
        "parameters": [
            {"in": "path", "name": "thing_id", "schema": {"type": "integer"}},
            {"in": "query", "name": "q", "schema": {"type": "string"}},
            {"in": "header", "name": "X-Trace"},
        ],
        **answering({"type": "array", "items": {"$ref": "#/components/schemas/Tagged"}}),
    }
    shapes = operation_shapes(spec({"/things/{thing_id}/": {"get": operation}}, schemas))
    assert list(shapes) == [("GET", "/v3/things/{}")]
    fields = shapes["GET", "/v3/things/{}"].fields
    assert fields == {
        "path {1}": Shape(frozenset({"integer"})),
        "query q": Shape(frozenset({"string"})),
        "answer []": Shape(frozenset({"object"})),
        "answer [].name": Shape(frozenset({"string"})),
        "answer [].tag": Shape(frozenset(), frozenset({"a", "b"})),
    }, "null is dropped, the self-reference (child) is described once, the header is no field"


def test_a_reference_to_nothing_is_refused_with_its_name() -> None:
    broken = spec({"/x": {"get": answering({"$ref": "#/components/schemas/Nowhere"})}})
    with pytest.raises(UpstreamError, match="Nowhere"):
        operation_shapes(broken)


def test_compare_groups_missing_extra_fields_and_types() -> None:
    item = {
        "type": "object",
        "properties": {"price": {"type": ["string", "number"]}, "count": {"type": "integer"}},
    }
    ours = spec(
        {
            "/send": {
                "post": {
                    "operationId": "Send",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "properties": {"to": {"type": "integer"}, "kind": {"enum": ["a", "b"]}}
                                }
                            }
                        }
                    },
                    **answering(item),
                }
            },
            "/ours-only": {"get": {"operationId": "OursOnly"}},
        }
    )
    theirs_item = {
        "properties": {
            "price": {"type": "number"},
            "count": {"type": "number"},
            "extra": {"properties": {"deep": {"type": "string"}}},
        }
    }
    theirs = spec(
        {
            "/send": {
                "post": {
                    "operationId": "send",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "properties": {"to": {"type": "string"}, "kind": {"enum": ["a", "c"]}}
                                }
                            }
                        }
                    },
                    **answering(theirs_item),
                }
            },
            "/theirs-only/{id}": {"delete": {"operationId": "theirs-only"}},
        }
    )
    comparison = compare(operation_shapes(ours), operation_shapes(theirs))
    assert [operation.key for operation in comparison.missing] == [("DELETE", "/v3/theirs-only/{}")]
    assert [operation.key for operation in comparison.extra] == [("GET", "/v3/ours-only")]
    assert [difference.field for difference in comparison.fields] == ["answer extra"], (
        "reported at the outermost field only"
    )
    assert sorted((d.field, d.detail) for d in comparison.types) == [
        ("answer count", "type: ours integer, upstream number"),
        ("body kind", "enum: upstream only c, ours only b"),
        ("body to", "type: ours integer, upstream string"),
    ], "ours reading price as string|number where upstream sends a number is no difference"
    assert comparison.differs


def test_the_fixture_against_our_spec_reports_each_group() -> None:
    """The synthetic upstream against the real openapi/: what it adds and contradicts, nothing else."""
    ours = operation_shapes(bundle(ROOT / "openapi"))
    theirs = operation_shapes(yaml.safe_load(FIXTURE.read_text()))
    comparison = compare(ours, theirs)
    assert [operation.key for operation in comparison.missing] == [("GET", "/v3/sms/brand-new/{}")]
    assert len(comparison.extra) == len(ours) - 2, "every other operation of ours is ours only"
    assert {(d.operation.split(" ")[:2] == list(SEND), d.field) for d in comparison.fields} == {
        (True, "body messages[].priority"),
        (False, "answer data.template_category"),
    }
    assert {(d.field, d.detail) for d in comparison.types} == {
        ("body messages[].list_id", "type: ours integer, upstream string"),
        ("answer data.queued_count", "type: ours integer, upstream string"),
    }, "the template id typed string in the path, a price read as string|number: no contradiction"


def pin_file(tmp_path: Path, content: bytes) -> Path:
    """A copy of openapi/upstream.yaml pinning ``content`` as ClickSend's spec."""
    pins = yaml.safe_load(PINS.read_text())
    pins["clicksend"]["sha256"] = hashlib.sha256(content).hexdigest()
    path = tmp_path / "upstream.yaml"
    path.write_text(yaml.safe_dump(pins))
    return path


def test_the_command_reports_and_checks_the_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pins = pin_file(tmp_path, FIXTURE.read_bytes())
    assert main([str(FIXTURE), "--pins", str(pins), "--seeds", str(tmp_path)]) == 0
    report = capsys.readouterr().out
    assert "the pinned file" in report and "NOT the pinned file" not in report
    for group in ["Missing operations", "Extra operations", "Field differences", "Type differences"]:
        assert f"## {group}" in report
    assert (
        "## Missing operations (upstream has them, ours lacks them): 1\n- GET /v3/sms/brand-new/{} (view-brand-new)"
        in report
    )
    assert "The faxes document is not at" in report

    changed = tmp_path / "newer.yaml"
    changed.write_bytes(FIXTURE.read_bytes() + b"# a newer release\n")
    assert main([str(changed), "--pins", str(pins), "--seeds", str(tmp_path)]) == 0
    assert (
        "NOT the pinned file: its sha256 is " + hashlib.sha256(changed.read_bytes()).hexdigest()
        in capsys.readouterr().out
    )


def test_the_command_without_a_path_says_where_to_get_the_pinned_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--seeds", str(tmp_path)]) == 0
    pin = yaml.safe_load(PINS.read_text())["clicksend"]
    assert (
        f"https://raw.githubusercontent.com/ClickSend/clicksend-go-v2/{pin['commit']}/api/openapi.yaml"
        in capsys.readouterr().out
    )


def test_unreadable_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_openapi = tmp_path / "x.yaml"
    not_openapi.write_text("just: text\n")
    assert main([str(not_openapi), "--seeds", str(tmp_path)]) == 2
    assert "not an OpenAPI document" in capsys.readouterr().err
    pins = tmp_path / "pins.yaml"
    pins.write_text("clicksend: {spec: openapi}\nkazoo: {}\n")
    assert main(["--pins", str(pins)]) == 2
    assert "a pin lacks" in capsys.readouterr().err


def test_the_pin_file_names_source_commit_and_hash() -> None:
    pins = read_pins(PINS)
    assert "ClickSend/clicksend-go-v2 api/openapi.yaml at commit " in pins["clicksend"].source
    assert len(pins["clicksend"].sha256) == 64 and pins["clicksend"].spec == ROOT / "openapi"
    assert (pins["kazoo"].spec / "openapi.yaml").exists()


KAZOO_DOCUMENT = """Faxes

Schema

KeyDescriptionTypeDefaultRequiredSupport Level
attemptsThe number of attempts madeinteger(0..4)0false
document.methodThe method to fetch the document with`string(‘get''post’)`getfalse
notifications.email.send_toA list or string of recipient(s)`array(string())string()`false
priorityA field our spec lacksstring()false

Send Outgoing Fax

PUT /v2/accounts/{ACCOUNT_ID}/faxes

Fetch a fax's pages

GET /v2/accounts/{ACCOUNT_ID}/faxes/outbox/{FAX_ID}/pages?disposition=inline
"""


def test_kazoo_document_rows_are_read_with_their_types() -> None:
    assert row_shape("The number of attemptsinteger(0..4)0false") == Shape(frozenset({"integer"}))
    assert row_shape("`string(‘get''post’)`getfalse") == Shape(
        frozenset({"string"}), frozenset({"get", "post"})
    )
    assert row_shape("A list`array(string())string()`false") == Shape(frozenset({"array", "string"}))


def test_kazoo_document_against_our_kazoo_spec() -> None:
    spec_dir = ROOT / "openapi" / "kazoo"
    ours = operation_shapes(bundle(spec_dir))
    theirs = seed_operations(KAZOO_DOCUMENT, "/v2/accounts/{}")
    comparison = compare(ours, theirs)
    assert [operation.key for operation in comparison.missing] == [
        ("GET", "/v2/accounts/{}/faxes/outbox/{}/pages")
    ]
    assert [difference.field for difference in comparison.fields] == ["body data.priority"]
    assert comparison.types == [], "attempts, the document method's enum and send_to agree with our spec"
    assert "Missing operations (upstream has them, ours lacks them): 1" in render(comparison, "Kazoo", [])


def test_a_document_without_the_send_or_the_table_is_refused() -> None:
    with pytest.raises(UpstreamError, match="no endpoint line PUT"):
        seed_operations("GET /v2/accounts/{ACCOUNT_ID}/faxes/inbox\n", "/v2/accounts/{}")
    with pytest.raises(UpstreamError, match="no schema table"):
        seed_operations("PUT /v2/accounts/{ACCOUNT_ID}/faxes\n", "/v2/accounts/{}")


@pytest.mark.reference
def test_seed_004_is_the_pinned_one_and_matches_our_kazoo_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """The real document (``nox -s reference``): pinned, and nothing in it our Kazoo spec lacks."""
    assert main(["--seeds", str(SEEDS)]) == 0
    report = capsys.readouterr().out.split("# Kazoo", 1)[1]
    assert "the pinned file" in report
    for group in ["Missing operations", "Field differences", "Type differences"]:
        assert f"## {group}" in report and f"{group} (" in report
    assert "ours lacks them): 0" in report and "ours lacks): 0" in report and "contradict): 0" in report
