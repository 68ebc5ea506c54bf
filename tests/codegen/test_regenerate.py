"""Regenerating after an API change needs no edit outside the spec (issue 24: item 7 and "Done when").

Each of the issue's five changes (a renamed request field, a removed operation, a field's type changed
from string to integer, a new operation, a new optional field) is made to the spec of a scratch copy of
the repository (spec, codegen, src, tests), the code is regenerated, and the copy is shown to work
untouched: the spec diff classifies the change, codegen's check passes, the package imports, the sandbox
starts and answers the change, and a focused part of the test suite (``FOCUSED``) passes.

Run alone with ``pytest -m regenerate`` (about 40 s a change on a busy two-core machine). Other checks of a change (the spec
diff's classification is one: ``test_the_spec_diff_classifies_the_change``; the API snapshot's diff
another: ``test_the_api_snapshot_shows_the_change``) take the fixture ``regenerated``: the scratch copy after its change (``Regenerated.root``) beside
the repository it was copied from (``ROOT``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import api_snapshot
from codegen.schema_diff import ADDITIVE, BREAKING, SEVERITY
from codegen.spec_diff import compare

pytestmark = pytest.mark.regenerate

ROOT = Path(__file__).resolve().parent.parent.parent
COPIED = ("openapi", "codegen", "src", "tests", "pyproject.toml")
FOCUSED = (
    "tests/spec",
    "tests/core/test_operations.py",
    "tests/sandbox/test_sandbox.py",
    "tests/sandbox/test_sandbox_spec.py",
    "tests/sandbox/test_sandbox_answers.py",
    "tests/sandbox/test_compat_official_sdk.py",
)
"""The tests run against each regenerated copy: those that read the spec's list of operations and drive
every operation (the spec's own checks and examples, the generated table, the sandbox answering each
operation and keeping its behaviours by the table's ids, the official SDK's operations against it), which
is where a change of operations or fields shows, plus the sandbox's main flows. A by-hand run of all of
`nox -s tests`' checks after each change found one more file that mattered (the official SDK's); the rest
of the suite exercises handwritten code these changes do not touch, and all of it five times over would
take half an hour (``nox -s tests`` runs it once)."""
SUBPROCESS_SECONDS = 600
GENERATED = Path("src") / "aioclicksend" / "_generated"


class SpecFiles:
    """The resource files of a scratch spec (``openapi/resources/<part>.yaml``), read when first named and
    written back by :meth:`save` (as plain YAML: the comments of the copy are not needed)."""

    def __init__(self, spec_dir: Path) -> None:
        self.spec_dir = spec_dir
        self.parts: dict[str, dict[str, Any]] = {}

    def part(self, name: str) -> dict[str, Any]:
        if name not in self.parts:
            self.parts[name] = yaml.safe_load((self.spec_dir / "resources" / f"{name}.yaml").read_text())
        return self.parts[name]

    def schema(self, part: str, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.part(part)["components"]["schemas"][name]
        return schema

    def save(self) -> None:
        for name, document in self.parts.items():
            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
            (self.spec_dir / "resources" / f"{name}.yaml").write_text(text)


@dataclass(frozen=True)
class SpecChange:
    """One change a maintainer makes to the spec, what it is for a caller (the spec diff's worst
    classification of it), and a probe: Python run in the regenerated copy inside
    ``async with clicksend_sandbox() as (server, cs):``, whose output must hold ``shows``."""

    name: str
    edit: Callable[[SpecFiles], None]
    classified: str
    probe: str
    shows: str


def rename_request_field(spec: SpecFiles) -> None:
    """Delivery issues: the request's ``client_comments`` becomes ``comments`` (its example too)."""
    fields = spec.schema("delivery_issues", "DeliveryIssueRequest")["properties"]
    fields["comments"] = fields.pop("client_comments")
    example = spec.part("delivery_issues")["paths"]["/delivery-issues"]["post"]["requestBody"]["content"]
    example["application/json"]["example"]["comments"] = example["application/json"]["example"].pop(
        "client_comments"
    )


def remove_operation(spec: SpecFiles) -> None:
    """View a specific inbound SMS (``GetInboundSms``), which has a sandbox behaviour of its own, is gone."""
    del spec.part("sms")["paths"]["/sms/inbound/{original_message_id}"]


def change_field_type(spec: SpecFiles) -> None:
    """A delivery issue's ``status`` is an integer code, no longer a string (its examples are null)."""
    spec.schema("delivery_issues", "DeliveryIssue")["properties"]["status"]["type"] = ["integer", "null"]


def add_operation(spec: SpecFiles) -> None:
    """``GET /sms/settings``: an operation no behaviour of the sandbox knows, answered from its example."""
    envelope = {"$ref": "#/components/schemas/Envelope"}
    data = {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/SmsSettings"}}}
    example = {
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Settings.",
        "data": {"opt_out": "STOP"},
    }
    spec.part("sms")["paths"]["/sms/settings"] = {
        "get": {
            "operationId": "GetSmsSettings",
            "summary": "View SMS Settings",
            "x-docs-section": "official: View SMS Settings",
            "x-sdk-resource": "sms",
            "x-sdk-method": "settings",
            "parameters": [{"name": "country", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": {"allOf": [envelope, data]}, "example": example}
                    },
                }
            },
        }
    }
    settings = {"type": "object", "properties": {"opt_out": {"type": "string"}}}
    spec.part("sms")["components"]["schemas"]["SmsSettings"] = settings


def add_optional_field(spec: SpecFiles) -> None:
    """An SMS template may have a ``category`` (optional)."""
    spec.schema("sms", "SmsTemplateFields")["properties"]["category"] = {"type": "string"}


CHANGES = (
    SpecChange(
        "renamed request field",
        rename_request_field,
        BREAKING,
        'issue = await cs.delivery_issues.create(type="SMS", description="late", email_address="a@b.c",'
        ' comments="twice")\nprint("issue", issue.issue_id is not None)',
        "issue True",
    ),
    SpecChange(
        "removed operation",
        remove_operation,
        BREAKING,
        'print("still there:", hasattr(cs.sms.inbound, "get"))\nprint("listed", await cs.sms.inbound.list())',
        "still there: False",
    ),
    SpecChange(
        "field type string to integer",
        change_field_type,
        BREAKING,
        'import aioclicksend.models as m\nprint("status:", m.DeliveryIssue.model_fields["status"].annotation)',
        "status: int | None",
    ),
    SpecChange(
        "new operation",
        add_operation,
        ADDITIVE,
        'print("opt out:", (await cs.sms.settings(country="AU")).opt_out)',
        "opt out: STOP",
    ),
    SpecChange(
        "new optional field",
        add_optional_field,
        ADDITIVE,
        'made = await cs.sms.templates.create(template_name="T", body="Hi", category="alerts")\n'
        'print("template", made.template_id is not None)',
        "template True",
    ),
)


def run(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``python <command>`` in ``root``, importing the copy's packages (its src first), not the checkout's."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    return subprocess.run(
        [sys.executable, *command],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_SECONDS,
        check=False,
    )


def regenerated_copy(change: SpecChange, scratch: Path) -> Path:
    """A copy of the repository in ``scratch`` with ``change`` made to its spec and its code regenerated;
    its root."""
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=ignored)
        else:
            shutil.copy2(source, scratch / name)
    spec = SpecFiles(scratch / "openapi")
    change.edit(spec)
    spec.save()
    generated = run(scratch, "-m", "codegen")
    assert generated.returncode == 0, f"{change.name}: codegen failed:\n{generated.stdout}{generated.stderr}"
    return scratch


@dataclass(frozen=True)
class Regenerated:
    change: SpecChange
    root: Path
    """The scratch copy, its spec changed and its code regenerated."""


@pytest.fixture(scope="module", params=CHANGES, ids=lambda change: change.name.replace(" ", "-"))
def regenerated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Regenerated]:
    change: SpecChange = request.param
    yield Regenerated(change, regenerated_copy(change, tmp_path_factory.mktemp("regenerated")))


def test_the_regenerated_code_is_the_changed_spec(regenerated: Regenerated) -> None:
    """Codegen's own check passes on the copy (regenerating is deterministic), and the change reached the
    generated package."""
    checked = run(regenerated.root, "-m", "codegen", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    generated = regenerated.root / GENERATED
    changed = [
        path
        for path in sorted(generated.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and not _same_file(path, ROOT / GENERATED / path.relative_to(generated))
    ]
    assert changed, f"{regenerated.change.name}: the generated package is unchanged"


def _same_file(path: Path, original: Path) -> bool:
    return original.is_file() and path.read_bytes() == original.read_bytes()


def test_the_spec_diff_classifies_the_change(regenerated: Regenerated) -> None:
    """``codegen.spec_diff`` from the repository to the changed copy: the change found, and the worst of
    what it finds is what the change is for a caller (breaking, or additive)."""
    report = compare(ROOT, regenerated.root)
    assert report.changes, f"{regenerated.change.name}: the spec diff finds nothing"
    worst = max(report.changes, key=lambda change: SEVERITY[change.classification])
    assert worst.classification == regenerated.change.classified, report.text()


SNAPSHOT_BUMPS = {BREAKING: "major", ADDITIVE: "minor"}
"""The bump the API snapshot's diff gives a change the spec diff calls breaking, or additive."""


def test_the_api_snapshot_shows_the_change(regenerated: Regenerated) -> None:
    """The public API snapshot ``python -m codegen`` wrote in the copy, against the repository's: the
    change shows, and is what it is for a caller (a removed, renamed or retyped item breaking; a new one
    additive)."""
    snapshot = api_snapshot.SNAPSHOT.relative_to(ROOT)
    before, after = (ROOT / snapshot).read_text(), (regenerated.root / snapshot).read_text()
    difference = api_snapshot.compare(before, after)
    assert difference.bump == SNAPSHOT_BUMPS[regenerated.change.classified], difference.markdown()


PROBE = """\
import asyncio
import logging

from aioclicksend.testing import clicksend_sandbox

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


async def main() -> None:
    async with clicksend_sandbox() as (server, cs):
{probe}


asyncio.run(main())
"""


def test_the_package_imports_and_the_sandbox_answers_the_change(regenerated: Regenerated) -> None:
    probe = regenerated.root / "probe.py"
    probe.write_text(PROBE.format(probe=textwrap.indent(regenerated.change.probe, " " * 8)))
    answered = run(regenerated.root, str(probe))
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert regenerated.change.shows in answered.stdout, answered.stdout + answered.stderr
    if regenerated.change.edit is remove_operation:  # its behaviour is left out, said once, not a crash
        assert "has no operation GetInboundSms" in answered.stderr


def test_the_focused_suite_passes_on_the_regenerated_copy(regenerated: Regenerated) -> None:
    tested = run(regenerated.root, "-m", "pytest", *FOCUSED, "-q", "-x", "-p", "no:cacheprovider")
    assert tested.returncode == 0, (
        f"{regenerated.change.name}:\n{tested.stdout[-6000:]}{tested.stderr[-2000:]}"
    )
