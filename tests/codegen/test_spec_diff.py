"""The spec diff on scratch copies of our specs: each kind of change found once, classified for a caller of
the SDK, and the version bump it implies; git refs, the last release tag and the command line."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from codegen.names import field_name
from codegen.spec_diff import Change, Report, SpecDiffError, compare, last_release_tag, main

from .scratch_specs import Edit, edit, sms_message, the_issues_five_changes

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT / "openapi"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of our specs (openapi/, with kazoo/) to change."""
    shutil.copytree(SPEC, tmp_path / "openapi", ignore=shutil.ignore_patterns("COVERAGE.md"))
    return tmp_path / "openapi"


def found(report: Report) -> set[tuple[str, str, str, str]]:
    return {(change.kind, change.where, change.what, change.classification) for change in report.changes}


def test_the_same_spec_has_no_changes_and_no_bump(tmp_path: Path) -> None:
    report = compare(SPEC, ROOT)  # a spec folder, a checkout
    assert report.changes == () and report.bump is None and report.next_version == report.version
    assert report.markdown() == ""
    assert "0 changes" in report.text()
    with pytest.raises(SpecDiffError, match=r"is neither a checkout .* nor a spec folder"):
        compare(tmp_path, ROOT)


def test_the_issues_five_changes_are_each_found_and_classified(scratch: Path) -> None:
    edit(scratch, "resources/sms.yaml", the_issues_five_changes)
    report = compare(SPEC, scratch, version="0.1.0")
    assert found(report) == {
        ("field renamed", "models.SmsMessage.custom_string", "renamed to custom_reference", "breaking"),
        ("operation removed", "sms.cancel_all", "PUT /sms/cancel-all", "breaking"),
        ("type changed", "models.SmsMessage.source", "string → integer", "breaking"),
        ("operation added", "sms.ping", "PUT /sms/{message_id}/ping", "additive"),
        ("field added", "models.SmsMessage.priority", "new optional field", "additive"),
    }
    assert [change.classification for change in report.changes] == ["breaking"] * 3 + ["additive"] * 2
    assert (report.bump, report.next_version) == ("minor", "0.2.0")  # before 1.0 a break bumps the minor
    assert compare(SPEC, scratch, version="1.4.2").bump == "major"
    as_json = json.loads(report.as_json())
    assert (as_json["bump"], as_json["next_version"], len(as_json["changes"])) == ("minor", "0.2.0", 5)
    assert as_json["changes"][0] == {
        "kind": "field renamed",
        "where": "models.SmsMessage.custom_string",
        "what": "renamed to custom_reference",
        "classification": "breaking",
    }
    assert report.markdown() == (
        "### Added\n\n"
        "- `models.SmsMessage.priority`: new optional field (field added)\n"
        "- `sms.ping`: PUT /sms/{message_id}/ping (operation added)\n"
        "\n### Changed\n\n"
        "- **Breaking:** `models.SmsMessage.source`: string → integer (type changed)\n"
        "\n### Removed\n\n"
        "- **Breaking:** `models.SmsMessage.custom_string`: renamed to custom_reference (field renamed)\n"
        "- **Breaking:** `sms.cancel_all`: PUT /sms/cancel-all (operation removed)\n"
    )


def add_enum_value(name: str, value: str) -> Edit:
    return lambda document: document["components"]["schemas"][name]["enum"].append(value)


def sms_path(path: str, method: str, change: Callable[[dict[str, Any]], Any]) -> Edit:
    return lambda document: change(document["paths"][path][method])


def sms_field(name: str, change: Callable[[dict[str, Any]], Any]) -> Edit:
    return lambda document: change(sms_message(document)["properties"][name])


def receipt_field(name: str, change: Callable[[dict[str, Any]], Any]) -> Edit:
    return lambda document: change(document["components"]["schemas"]["SmsReceipt"]["properties"][name])


def drop_receipt_status(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["SmsReceipt"]["properties"].pop("status")


def sort_direction(document: dict[str, Any]) -> dict[str, Any]:
    parameters = document["paths"]["/alpha-tags"]["get"]["parameters"]
    return next(parameter for parameter in parameters if parameter.get("name") == "sort_direction")


def rename_shorten_urls(document: dict[str, Any]) -> None:
    fields = document["components"]["schemas"]["SmsMessageCollection"]["properties"]
    fields["shorten_links"] = fields.pop("shorten_urls")


def require(name: str) -> Edit:
    return lambda document: sms_message(document).setdefault("required", []).append(name)


def add_required_field(document: dict[str, Any]) -> None:
    sms_message(document)["properties"]["region"] = {"type": "string"}
    require("region")(document)


CASES: list[tuple[str, Edit, set[tuple[str, str, str, str]]]] = [
    (
        "alpha_tags.yaml",
        add_enum_value("AlphaTagStatus", "EXPIRED"),  # read in answers, sent as a filter
        {("enum value added", "models.AlphaTagStatus", "'EXPIRED' added", "additive")},
    ),
    (
        "alpha_tags.yaml",
        lambda document: document["components"]["schemas"]["AlphaTagStatus"]["enum"].remove("PENDING"),
        {("enum value removed", "models.AlphaTagStatus", "'PENDING' removed", "breaking")},
    ),
    (
        "alpha_tags.yaml",
        lambda document: sort_direction(document)["schema"]["enum"].append("random"),
        {("enum value added", "alpha_tags.list(sort_direction)", "'random' added", "additive")},
    ),
    (
        "alpha_tags.yaml",
        lambda document: document["paths"]["/alpha-tags"]["get"]["parameters"].remove(
            sort_direction(document)
        ),
        {("argument removed", "alpha_tags.list(sort_direction)", "argument removed", "breaking")},
    ),
    (
        "sms.yaml",
        rename_shorten_urls,  # a body field: an argument of both methods taking the body
        {
            ("argument renamed", "sms.price(shorten_urls)", "renamed to shorten_links", "breaking"),
            ("argument renamed", "sms.send(shorten_urls)", "renamed to shorten_links", "breaking"),
        },
    ),
    (
        "sms.yaml",
        sms_field("list_id", lambda field: field.update(type="number")),  # a request takes more
        {("type widened", "models.SmsMessage.list_id", "integer → number", "additive")},
    ),
    (
        "sms.yaml",
        sms_field("list_id", lambda field: field.update({"$ref": "#/components/schemas/UnixTimeInput"})),
        {("type widened", "models.SmsMessage.list_id", "integer → datetime | integer", "additive")},
    ),
    (
        "sms.yaml",
        sms_field("schedule", lambda field: field.update({"$ref": "#/components/schemas/UnixTime"})),
        {("type narrowed", "models.SmsMessage.schedule", "datetime | integer → integer", "breaking")},
    ),
    (
        "sms.yaml",
        sms_field("from", lambda field: field.update(maxLength=5)),
        {("constraint tightened", 'models.SmsMessage.from_ (key "from")', "maxLength: None → 5", "breaking")},
    ),
    (
        "sms.yaml",
        require("source"),
        {("made required", "models.SmsMessage.source", "field made required", "breaking")},
    ),
    (
        "sms.yaml",
        add_required_field,
        {("required field added", "models.SmsMessage.region", "new required field", "breaking")},
    ),
    (
        "sms.yaml",
        receipt_field("status_code", lambda field: field.update(type=["string", "null"])),  # may be null now
        {("type widened", "models.SmsReceipt.status_code", "string → null | string", "breaking")},
    ),
    (
        "sms.yaml",
        drop_receipt_status,
        {("field removed", "models.SmsReceipt.status", "field removed", "breaking")},
    ),
    (
        "sms.yaml",
        sms_path("/sms/cancel-all", "put", lambda operation: operation.update(deprecated=True)),
        {("deprecated", "sms.cancel_all", "deprecated", "additive")},
    ),
    (
        "sms.yaml",
        sms_path("/sms/cancel-all", "put", lambda operation: operation.update(summary="Cancel every SMS")),
        {("documentation", "sms.cancel_all", "summary changed", "cosmetic")},
    ),
    (
        "sms.yaml",
        sms_path(
            "/sms/cancel-all", "put", lambda operation: operation.update({"x-sdk-method": "cancel_every"})
        ),
        {("operation renamed", "sms.cancel_all", "now sms.cancel_every (PUT /sms/cancel-all)", "breaking")},
    ),
    (
        "sms.yaml",
        lambda document: document["paths"].__setitem__(
            "/sms/cancel-every", document["paths"].pop("/sms/cancel-all")
        ),
        {("operation moved", "sms.cancel_all", "PUT /sms/cancel-all → PUT /sms/cancel-every", "cosmetic")},
    ),
    (
        "sms.yaml",
        sms_path("/sms/templates", "get", lambda operation: operation.pop("x-pagination")),
        {
            (
                "paging",
                "sms.templates.list",
                "returns models.SmsTemplatePage, not AsyncPager[Page[models.SmsTemplate], models.SmsTemplate]",
                "breaking",
            )
        },
    ),
    (
        "sms.yaml",
        lambda document: document["components"]["schemas"]["SentSms"]["properties"]["list_id"].update(
            type="integer"
        ),
        {
            ("type narrowed", "models.SentSms.list_id", "integer | null → integer", "additive")
        },  # never null now
    ),
    (
        "sms.yaml",
        lambda document: sms_message(document).pop("required"),
        {("made optional", "models.SmsMessage.body", "field made optional", "additive")},
    ),
    (
        "sms.yaml",
        lambda document: document["components"]["schemas"]["SmsMessageCollection"]["properties"][
            "messages"
        ].pop("maxItems"),
        {
            ("constraint loosened", "sms.price(messages)", "maxItems: 1000 → None", "additive"),
            ("constraint loosened", "sms.send(messages)", "maxItems: 1000 → None", "additive"),
        },
    ),
    (
        "sms.yaml",
        sms_field("contact_id", lambda field: field.pop("deprecated")),
        {("no longer deprecated", "models.SmsMessage.contact_id", "no longer deprecated", "additive")},
    ),
    (
        "sms.yaml",
        sms_path("/sms/cancel-all", "put", lambda operation: operation.pop("x-idempotent")),
        {("other", "sms.cancel_all", "x-idempotent changed", "cosmetic")},
    ),
    (
        "webhooks.yaml",
        lambda document: document["webhooks"].pop("fax_receipt"),
        {("webhook removed", "webhooks.fax_receipt", "push removed", "breaking")},
    ),
    (
        "kazoo/openapi.yaml",
        lambda document: document["components"]["schemas"]["InboxFax"]["properties"].pop("status"),
        {("field removed", "kazoo.models.InboxFax.status", "field removed", "breaking")},
    ),
]


@pytest.mark.parametrize(("file", "change", "expected"), CASES, ids=[str(n) for n in range(len(CASES))])
def test_each_kind_of_change_is_found_once_and_classified(
    scratch: Path, file: str, change: Edit, expected: set[tuple[str, str, str, str]]
) -> None:
    edit(scratch, file if file.startswith("kazoo/") else f"resources/{file}", change)
    assert found(compare(SPEC, scratch)) == expected


def test_removing_a_deprecated_field_is_still_breaking(scratch: Path) -> None:
    deprecated = sms_message(yaml.safe_load((SPEC / "resources/sms.yaml").read_text()))["properties"]
    assert deprecated["contact_id"]["deprecated"] is True  # the spec's own deprecation (issue 24, item 4)
    edit(scratch, "resources/sms.yaml", sms_field("contact_id", lambda field: field.clear()))
    edit(
        scratch, "resources/sms.yaml", lambda document: sms_message(document)["properties"].pop("contact_id")
    )
    report = compare(SPEC, scratch, version="0.3.1")
    assert found(report) == {("field removed", "models.SmsMessage.contact_id", "field removed", "breaking")}
    assert (report.bump, report.next_version) == ("minor", "0.4.0")
    assert "### Removed\n\n- **Breaking:** `models.SmsMessage.contact_id`" in report.markdown()


def test_the_bump_follows_semver_with_the_0x_rule() -> None:
    def bump(classification: str, version: str) -> str | None:
        return Report("a", "b", (Change("k", "w", "x", classification),), version).bump

    assert [bump(kind, "0.9.3") for kind in ("breaking", "additive", "cosmetic")] == [
        "minor",
        "patch",
        "patch",
    ]
    assert [bump(kind, "2.0.0") for kind in ("breaking", "additive", "cosmetic")] == [
        "major",
        "minor",
        "patch",
    ]
    assert Report("a", "b", (Change("k", "w", "x", "additive"),), "2.3.4").next_version == "2.4.0"


def git(repo: Path, *arguments: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_git_refs_and_the_last_release_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SPEC, repo / "openapi", ignore=shutil.ignore_patterns("COVERAGE.md"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "spec")
    assert last_release_tag(repo) is None
    assert main(["--repo", str(repo)]) == 2
    assert "no release tag yet" in capsys.readouterr().err
    git(repo, "tag", "v0.1.0")
    edit(repo / "openapi", "resources/sms.yaml", the_issues_five_changes)
    assert last_release_tag(repo) == "v0.1.0"
    assert main(["--repo", str(repo), "--fail-on", "breaking"]) == 1  # v0.1.0 against the working tree
    text = capsys.readouterr().out
    assert text.startswith(f"spec diff v0.1.0 → {repo}: 5 changes (3 breaking, 2 additive, 0 cosmetic)")
    assert "  operation removed        sms.cancel_all: PUT /sms/cancel-all\n" in text
    git(repo, "commit", "-q", "-am", "five changes")
    assert main(["v0.1.0", "HEAD", "--repo", str(repo), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == compare("v0.1.0", "HEAD", repo=repo).markdown()
    assert main(["HEAD", "--repo", str(repo), "--fail-on", "cosmetic"]) == 0  # the same: nothing fails
    assert main(["no-such-ref", "--repo", str(repo)]) == 2
    assert "'no-such-ref' is neither a directory nor a git ref" in capsys.readouterr().err


def rename_refs(node: Any, old: str, new: str) -> None:
    """Every ``$ref`` to schema ``old`` made one to ``new``."""
    if isinstance(node, dict):
        if node.get("$ref") == f"#/components/schemas/{old}":
            node["$ref"] = f"#/components/schemas/{new}"
        for value in node.values():
            rename_refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            rename_refs(value, old, new)


def test_a_model_renamed_or_added(scratch: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        schemas["SmsTemplateInfo"] = schemas.pop("SmsTemplate")
        rename_refs(document, "SmsTemplate", "SmsTemplateInfo")
        schemas["SmsLabel"] = {"type": "object", "properties": {"name": {"type": "string"}}}

    edit(scratch, "resources/sms.yaml", change)
    changes = found(compare(SPEC, scratch))
    assert ("model renamed", "models.SmsTemplate", "now models.SmsTemplateInfo", "breaking") in changes
    assert ("model added", "models.SmsLabel", "new model", "additive") in changes
    assert (
        "type changed",
        "sms.templates.create() answer",
        "SmsTemplate → SmsTemplateInfo",
        "breaking",
    ) in changes
    assert {classification for *_, classification in changes} == {"breaking", "additive"}


@pytest.mark.parametrize("package", ["aioclicksend.models", "aioclicksend.kazoo.models"])
def test_a_field_is_named_by_the_attribute_the_generated_model_has(package: str) -> None:
    """The diff names a field as a caller reads it (``models.InboundSms.from_``, ``.keyword``): its name
    for a wire name is the generated model's, for every field of every model."""
    models = importlib.import_module(package)
    fields = [
        (info.alias or attribute, attribute)
        for name in models.__all__
        if isinstance(model := getattr(models, name), type) and issubclass(model, pydantic.BaseModel)
        for attribute, info in model.model_fields.items()
    ]
    assert len(fields) > 10 and any(wire != attribute for wire, attribute in fields)
    assert [(wire, field_name(wire)) for wire, attribute in fields] == fields
