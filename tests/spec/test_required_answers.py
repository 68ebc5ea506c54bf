"""The answer fields the specs mark required: what the docs' examples always show, typed without ``None``.

The spec side: a required answer field has a value in every documented example of its schema, and each
schema that marks some carries its ``# DECISION:``. The SDK side: the generated models type them
without ``None`` (mypy sees ``rule.receipt_rule_id`` as an ``int``), parse an answer that leaves them
out, and raise ``AnswerFieldMissingError`` naming the field when one is read.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import MISSING

from aioclicksend import AnswerFieldMissingError, AsyncClickSend
from aioclicksend._core.models import ClickSendModel, ClickSendRequestModel
from aioclicksend.models import SmsReceiptRule
from codegen.bundle import bundle
from codegen.generate import request_schemas

from ..support import BASE_URL, MockAPI

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC_DIRS = [ROOT / "openapi", ROOT / "openapi" / "kazoo"]


def instances(spec: dict[str, Any], schema: Any, value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of an example with the name of the schema it is an instance of."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if isinstance(value, dict):
            yield name, value
        yield from instances(spec, spec["components"]["schemas"][name], value)
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from instances(spec, part, value)
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                yield from instances(spec, sub, value[key])
    if isinstance(value, list) and "items" in schema:
        for item in value:
            yield from instances(spec, schema["items"], item)


def answer_examples(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in spec["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                media = response.get("content", {}).get("application/json", {})
                if "example" in media:
                    for name, value in instances(spec, media["schema"], media["example"]):
                        found.setdefault(name, []).append(value)
    return found


@pytest.mark.parametrize("spec_dir", SPEC_DIRS, ids=lambda path: path.name)
def test_a_required_answer_field_has_a_value_in_every_example_and_a_decision(spec_dir: Path) -> None:
    spec = bundle(spec_dir)
    requests, examples = request_schemas(spec), answer_examples(spec)
    # The spec's own files: one without any comment was rewritten by a tool (test_regenerate's scratch
    # copies), which keeps no DECISION; the examples' check holds all the same.
    texts = "\n".join(
        text
        for text in (path.read_text(encoding="utf-8") for path in sorted(spec_dir.rglob("*.yaml")))
        if "\n# " in text or "\n  # " in text
    )
    marked = decided = 0
    for name, schema in spec["components"]["schemas"].items():
        if name in requests or not schema.get("required"):
            continue
        marked += 1
        if f"\n    {name}:\n" in texts:  # its file keeps its comments
            block = re.search(rf"\n    {name}:\n(?:      .*\n|\s*\n)*?      required:", texts)
            assert block is not None and "# DECISION:" in block.group(0), (
                f"{name}: required without a DECISION"
            )
            decided += 1
        # A schema no example shows (Kazoo's inbox and outbox faxes) may still require a field its DECISION
        # argues for: it has just been checked to have one, where the file keeps its comments.
        assert examples.get(name) or f"\n    {name}:\n" in texts, (
            f"{name}: required, yet no example and no DECISION"
        )
        for field in schema["required"]:
            shown = [example.get(field) for example in examples.get(name, [])]
            assert None not in shown, f"{name}.{field}: required, yet an example leaves it out or gives null"
    assert marked >= (90 if spec_dir.name == "openapi" else 4) and decided > 0


def generated_models(package: str) -> list[type[BaseModel]]:
    models = importlib.import_module(package)
    found = [getattr(models, name) for name in models.MODULES]
    return [model for model in found if isinstance(model, type) and issubclass(model, BaseModel)]


MODELS = generated_models("aioclicksend._generated.models") + generated_models(
    "aioclicksend.kazoo._generated.models"
)


def present_type(annotation: Any) -> bool:
    """Whether an annotation (``Annotated`` or not) leaves ``None`` out."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is not None and type(None) not in get_args(annotation)


def test_every_answer_model_parses_an_empty_answer_and_checks_its_required_fields_on_read() -> None:
    """And every request model refuses one: what the spec requires of a request is checked when made."""
    checked = 0
    for model in MODELS:
        if issubclass(model, ClickSendRequestModel):
            if any(field.is_required() for field in model.model_fields.values()):
                with pytest.raises(ValidationError):
                    model.model_validate({})
            continue
        assert issubclass(model, ClickSendModel)
        empty = model.model_validate({})
        assert all(value is None for value in empty.model_dump().values())
        for name, annotation in model.__annotations__.items():
            if model.model_fields[name].default is MISSING:
                assert present_type(annotation), f"{model.__name__}.{name}: required yet typed {annotation}"
                with pytest.raises(AnswerFieldMissingError, match=rf"{model.__name__}\.{name}\b"):
                    getattr(empty, name)
                checked += 1
    assert checked > 300


RULE = {
    "receipt_rule_id": 11,
    "rule_name": "My Rule",
    "match_type": 0,
    "action": "EMAIL_FIXED",
    "action_address": "john@doe.com",
    "enabled": 1,
}
RULES_URL = f"{BASE_URL}/automations/sms/receipts"


def envelope(data: Any) -> dict[str, Any]:
    return {"http_code": 200, "response_code": "SUCCESS", "response_msg": "OK", "data": data}


async def test_a_full_answer_reads_as_typed_values(client: AsyncClickSend, mocked: MockAPI) -> None:
    mocked.get(f"{RULES_URL}/11", payload=envelope(RULE))
    rule = await client.automations.sms_receipts.get(receipt_rule_id=11)
    assert (rule.receipt_rule_id, rule.rule_name, rule.match_type, rule.enabled) == (11, "My Rule", 0, 1)
    assert rule.action == "EMAIL_FIXED" and rule.action_address == "john@doe.com"
    assert rule.model_dump(mode="json") == RULE and rule == SmsReceiptRule.model_validate(RULE)


async def test_an_answer_without_a_required_field_parses_and_reading_it_raises(
    client: AsyncClickSend, mocked: MockAPI
) -> None:
    mocked.get(f"{RULES_URL}/11", payload=envelope({**RULE, "receipt_rule_id": None, "enabled": None}))
    mocked.get(f"{RULES_URL}?limit=100&page=1", payload=envelope({"data": [{"rule_name": "bare"}]}))
    rule = await client.automations.sms_receipts.get(receipt_rule_id=11)
    assert rule.rule_name == "My Rule"
    with pytest.raises(
        AnswerFieldMissingError, match=r"^SmsReceiptRule\.receipt_rule_id: null in the answer"
    ):
        rule.receipt_rule_id  # noqa: B018 (the read is what raises)
    listed = [rule async for rule in client.automations.sms_receipts.list()]  # a page without its counts
    assert [rule.rule_name for rule in listed] == ["bare"]
    with pytest.raises(AnswerFieldMissingError, match=r"^SmsReceiptRule\.enabled: not in the answer"):
        listed[0].enabled  # noqa: B018


SNIPPET = """
from aioclicksend import AsyncClickSend

async def use(cs: AsyncClickSend) -> None:
    rule = await cs.automations.sms_receipts.get(receipt_rule_id=11)
    reveal_type(rule.receipt_rule_id)
    page = await cs.automations.sms_receipts.list()
    reveal_type(page.total)
    rule_id: int = page.data[0].receipt_rule_id
    await cs.automations.sms_receipts.update(receipt_rule_id=rule_id, rule_name=rule.rule_name,
        match_type=rule.match_type, action=rule.action, action_address=rule.action_address, enabled=1)
    reveal_type(rule.body_that_does_not_exist)
"""


def test_mypy_sees_a_required_answer_field_as_present(tmp_path: Path) -> None:
    """A user's script passes an id it got back into the next call with no ``assert ... is not None``."""
    script = tmp_path / "use.py"
    script.write_text(textwrap.dedent(SNIPPET), encoding="utf-8")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            script.name,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},  # this checkout's code, wherever it is installed
        check=False,
    )
    found = [line.split(": ", 1)[1] for line in checked.stdout.splitlines() if line.startswith("use.py:")]
    assert found == [
        'note: Revealed type is "int"',
        'note: Revealed type is "int"',
        'error: "SmsReceiptRule" has no attribute "body_that_does_not_exist"  [attr-defined]',
        'note: Revealed type is "Any"',
    ], checked.stdout
