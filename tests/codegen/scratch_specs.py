"""Scratch copies of our specs and the edits the codegen tests make to them (the spec diff's, the API
snapshot's and the release's): YAML read and written with libyaml (comments are lost: they are not the
spec)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Edit = Callable[[dict[str, Any]], None]


def edit(folder: Path, file: str, change: Edit) -> None:
    """Change one YAML file of a spec folder."""
    path = folder / file
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    change(document)
    text = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def sms_message(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]["SmsMessage"]  # type: ignore[no-any-return]


def the_issues_five_changes(document: dict[str, Any]) -> None:
    """A renamed request field, a removed operation, a field's type string → integer, a new operation, a
    new optional field (issue 24's five), in resources/sms.yaml."""
    fields = sms_message(document)["properties"]
    fields["custom_reference"] = fields.pop("custom_string")
    del document["paths"]["/sms/cancel-all"]
    fields["source"]["type"] = "integer"
    ping = copy.deepcopy(document["paths"]["/sms/{message_id}/cancel"]["put"])
    ping.update(operationId="PingSms", summary="Ping SMS", **{"x-sdk-method": "ping"})
    document["paths"]["/sms/{message_id}/ping"] = {"put": ping}
    fields["priority"] = {"type": "integer", "description": "How soon."}
