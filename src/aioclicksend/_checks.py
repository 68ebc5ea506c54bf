"""The checks every message of a send passes before it goes out, one call or a bulk job alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._message_parts import count_parts, surely_fits

__all__ = ["MessageRules", "message_problem"]


@dataclass(frozen=True, slots=True)
class MessageRules:
    """What a send's messages must hold (from the spec's ``x-sdk-bulk``)."""

    items: str
    """The request's array of messages, e.g. ``messages``."""
    recipient_fields: tuple[str, ...] = ()
    """At least one of these must be given (e.g. ``to`` or ``list_id``)."""
    text_field: str | None = None
    text_rule: str | None = None
    """Whose length table the text follows: ``sms``, ``voice`` or ``mms``."""


def message_problem(message: Any, rules: MessageRules, *, allow_truncation: bool) -> str | None:
    """What is wrong with a message the spec's model accepts (no recipient, no text, a text ClickSend
    would truncate), or ``None``."""
    for name in rules.recipient_fields:
        if getattr(message, name, None) not in (None, ""):
            break
    else:
        if rules.recipient_fields:
            return f"needs {' or '.join(rules.recipient_fields)}"
    if rules.text_field is None or rules.text_rule is None:
        return None
    text = getattr(message, rules.text_field, None)
    if not text:
        return f"{rules.text_field}: is empty"
    if allow_truncation or surely_fits(text, rules.text_rule):
        return None
    parts = count_parts(text, rules.text_rule)
    if not parts.truncated:
        return None
    return (
        f"{rules.text_field}: {parts.length} {parts.encoding} characters, more than the "
        f"{parts.max_length} ClickSend sends without truncating (allow_truncation=True sends it anyway)"
    )
