"""The reader of the spec's ``webhooks``: the pushes the API makes, each with the payload schema its
formats carry (a form ``post``, a ``json`` body, a ``get`` query) and the fields that tell two apart."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .ir import Webhook
from .names import is_lower_snake_case, schema_name
from .parameters import resolve_parameter

WEBHOOK_CONTENT = ("application/x-www-form-urlencoded", "application/json")
"""The bodies a push's ``post`` may describe: the formats of a URL rule's webhook_type post and json."""
TABLE_NAMES = {"MODELS", "WEBHOOKS", "TYPE_CHECKING"}
"""The generated webhook table's own upper-case names, which a push's constant (its kind) must not be."""
REQUIRED = ("x-docs-section", "x-sdk-dedup-key", "post")
KNOWN = {*REQUIRED, "get", "summary", "description"}


def read_webhooks(spec: dict[str, Any]) -> list[Webhook]:
    """Every push of the spec (its ``webhooks``), in the order of their kinds."""
    schemas = spec.get("components", {}).get("schemas", {})
    found = [
        _read_webhook(spec, schemas, kind, item)
        for kind, item in sorted((spec.get("webhooks") or {}).items())
    ]
    sections = [webhook.docs_section for webhook in found]
    if len(sections) != len(set(sections)):
        raise SpecError(f"webhooks: x-docs-section used twice: {sorted(sections)}")
    return found


def _read_webhook(spec: dict[str, Any], schemas: dict[str, Any], kind: str, item: dict[str, Any]) -> Webhook:
    where = f"webhooks.{kind}"
    _check_entry(kind, item, where)
    payloads = _post_payloads(item["post"], where)
    if "get" in item:
        payloads["get"] = _get_payload(spec, item["get"], where)
    if len(set(payloads.values())) != 1:
        raise SpecError(f"{where}: every format must carry the same payload schema, not {payloads}")
    payload = next(iter(payloads.values()))
    return Webhook(
        kind=kind,
        payload=payload,
        docs_section=item["x-docs-section"],
        dedup_key=_dedup_key(schemas, payload, item["x-sdk-dedup-key"], where),
        summary=item["post"].get("summary", "").strip(),
        formats=tuple(sorted(payloads)),
    )


def _check_entry(kind: str, item: dict[str, Any], where: str) -> None:
    """A push's kind names its table entry; the entry holds what is read and nothing else."""
    if not is_lower_snake_case(kind):
        raise SpecError(f"{where}: a push's kind must be lower_snake_case")
    if kind.upper() in TABLE_NAMES:
        raise SpecError(f"{where}: the kind would hide the table's own {kind.upper()}")
    for key in REQUIRED:
        if key not in item:
            raise SpecError(f"{where}: {key} is missing")
    unknown = sorted(set(item) - KNOWN)
    if unknown:
        raise SpecError(f"{where}: only post and get (and the kind's x- fields) are read, not {unknown}")


def _post_payloads(post: dict[str, Any], where: str) -> dict[str, str]:
    """The payload schema of each body ``post`` describes: ``post`` for the form, ``json``."""
    content = post.get("requestBody", {}).get("content", {})
    if not content or set(content) - set(WEBHOOK_CONTENT):
        raise SpecError(f"{where}: post's requestBody must describe {' and/or '.join(WEBHOOK_CONTENT)}")
    payloads = {}
    for media_type, body in content.items():
        if "$ref" not in body.get("schema", {}):
            raise SpecError(f"{where}: post's {media_type} body must be a $ref to a named object schema")
        payloads["post" if media_type == WEBHOOK_CONTENT[0] else "json"] = schema_name(body["schema"]["$ref"])
    return payloads


def _get_payload(spec: dict[str, Any], get: dict[str, Any], where: str) -> str:
    """The payload schema of a ``get`` push: its one query parameter, every field a key of the query."""
    parameters = [
        resolve_parameter(spec, parameter, f"{where} get") for parameter in get.get("parameters", [])
    ]
    if (
        len(parameters) != 1
        or parameters[0].get("in") != "query"
        or parameters[0].get("style", "form") != "form"
        or parameters[0].get("explode", True) is not True
        or "$ref" not in parameters[0].get("schema", {})
    ):
        raise SpecError(
            f"{where}: get takes one query parameter (style form, explode) whose schema is a $ref"
        )
    return schema_name(parameters[0]["schema"]["$ref"])


def _dedup_key(schemas: dict[str, Any], payload: str, dedup_key: Any, where: str) -> tuple[str, ...]:
    """``x-sdk-dedup-key``: properties of the payload, which must be a lenient object schema."""
    properties = schemas.get(payload, {}).get("properties")
    if not properties:
        raise SpecError(f"{where}: the payload {payload} must be an object schema with properties")
    if schemas[payload].get("required"):
        raise SpecError(f"{where}: the payload {payload} must list no required properties (lenient)")
    if not isinstance(dedup_key, list) or not dedup_key or set(dedup_key) - set(properties):
        raise SpecError(f"{where}: x-sdk-dedup-key must list properties of {payload}, not {dedup_key!r}")
    return tuple(dedup_key)
