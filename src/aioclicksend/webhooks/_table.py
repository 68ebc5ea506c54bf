"""What the SDK knows of one push: an entry of the webhook table codegen writes from the spec's ``webhooks``
(``aioclicksend._generated.webhooks``). The parser, the receivers, the sandbox and the tests read that one
table, so nothing derives the same fact from the spec twice."""

from __future__ import annotations

from typing import Any

from .._core.webhook import Webhook

__all__ = ["Webhook", "kinds", "webhook"]


def table() -> dict[str, Webhook[Any]]:
    """The generated table, imported on first use."""
    from .._generated.webhooks import WEBHOOKS  # (first use: the models load with it)

    return WEBHOOKS


def kinds() -> tuple[str, ...]:
    """Every kind of push the spec describes."""
    return tuple(table())


def webhook(kind: str) -> Webhook[Any]:
    """The table's entry for ``kind``; a kind the spec does not describe is a ValueError naming the kinds."""
    found = table().get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValueError(f"unknown kind of push {kind!r}; the kinds are {', '.join(kinds())}")
    return found
