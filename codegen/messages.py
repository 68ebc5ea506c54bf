"""The reader of a send's message rules (``x-sdk-bulk``'s ``items``, ``recipient`` and ``text``): what
each message must hold, which the request loop and the bulk engine check before sending."""

from __future__ import annotations

from typing import Any

from .bundle import SpecError
from .fields import strings, typed
from .runtime import CHANNELS, MessageRules


def read_message_rules(bulk: dict[str, Any], item_fields: dict[str, Any], where: str) -> MessageRules:
    """The rules of ``x-sdk-bulk``, whose fields must be fields of the message (``item_fields``)."""
    recipient = strings(bulk, "recipient", f"{where}: x-sdk-bulk")
    text = typed(bulk, "text", dict, f"{where}: x-sdk-bulk") or {}
    text_field = typed(text, "field", str, f"{where}: x-sdk-bulk text")
    if text and (text_field is None or text.get("rule") not in CHANNELS):
        raise SpecError(f"{where}: x-sdk-bulk text needs a field and a rule of {CHANNELS}")
    unknown = [name for name in [*recipient, text_field] if name and name not in item_fields]
    if unknown:
        raise SpecError(f"{where}: x-sdk-bulk names fields the message does not have: {unknown}")
    return MessageRules(bulk["items"], recipient, text_field, text.get("rule"))
