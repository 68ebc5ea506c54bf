"""The reader of the spec's root: how the API wraps what it exchanges, as the runtime's ``Dialect``."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .runtime import Dialect


def read_dialect(spec: dict[str, Any]) -> Dialect:
    error = spec.get("x-sdk-error")
    if not isinstance(error, dict) or not {"code", "message"} <= set(error):
        raise SpecError(
            "the root needs x-sdk-error: {code: <field>, message: <field>} (the error answer's fields)"
        )
    envelope = spec.get("components", {}).get("schemas", {}).get("Envelope", {}).get("properties")
    if not envelope or "data" not in envelope:
        raise SpecError("components.schemas.Envelope must list the envelope's properties, data among them")
    return Dialect(error["code"], error["message"], frozenset(envelope), spec.get("x-sdk-request-envelope"))
