"""The checks every message of a send passes before it goes out, one call or a bulk job alike."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat
from typing import Any, NamedTuple

from .parts import count_parts, surely_fit, surely_fits

__all__ = ["MessageRules", "message_problem", "messages_problems"]


class MessageRules(NamedTuple):
    """What a send's messages must hold (from the spec's ``x-sdk-bulk``)."""

    items: str
    """The request's array of messages, e.g. ``messages``."""
    recipient_fields: tuple[str, ...] = ()
    """At least one of these must be given (e.g. ``to`` or ``list_id``)."""
    text_field: str | None = None
    text_rule: str | None = None
    """Whose length table the text follows: ``sms``, ``voice`` or ``mms``."""


def message_problem(message: Mapping[str, Any], rules: MessageRules, *, allow_truncation: bool) -> str | None:
    """What is wrong with a message the spec's model accepts (no recipient, no text, a text ClickSend
    would truncate), or ``None``; ``message`` holds its fields by name."""
    for name in rules.recipient_fields:
        if message.get(name) not in (None, ""):
            break
    else:
        if rules.recipient_fields:
            return f"needs {' or '.join(rules.recipient_fields)}"
    if rules.text_field is None or rules.text_rule is None:
        return None
    text = message.get(rules.text_field)
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


def messages_problems(
    messages: list[dict[str, Any]], rules: MessageRules, *, allow_truncation: bool
) -> list[str | None] | None:
    """:func:`message_problem` of each message, or ``None`` if none has one.

    The common case (every message has the first recipient field, a text, and a text short enough
    whatever its characters) is recognised a field at a time, without a Python step per message.
    """
    fine = all(map(dict.get, messages, repeat(rules.recipient_fields[0]))) if rules.recipient_fields else True
    if fine and rules.text_field is not None and rules.text_rule is not None:
        texts: list[Any] = list(map(dict.get, messages, repeat(rules.text_field)))
        fine = all(texts) and (allow_truncation or surely_fit(texts, rules.text_rule))
    if fine:
        return None
    return [message_problem(message, rules, allow_truncation=allow_truncation) for message in messages]
