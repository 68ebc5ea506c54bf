"""What the SDK knows of one push: an entry of the webhook table codegen writes from the spec's ``webhooks``
(``aioclicksend._generated.webhooks``). The parser, the receivers, the sandbox and the tests read that one
table, so nothing derives the same fact from the spec twice."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from aioclicksend._models import ClickSendModel

__all__ = ["Webhook", "kinds", "webhook"]

_P = TypeVar("_P", bound="ClickSendModel")


@dataclass(frozen=True, slots=True)
class Webhook(Generic[_P]):
    """One push ClickSend makes to a URL of yours."""

    kind: str
    """The push's name, e.g. ``"sms_inbound"`` (its key under the spec's ``webhooks``)."""
    schema: str
    """The spec's schema of what the push carries (``components/schemas/<schema>``)."""
    model: Callable[[], type[_P]]
    """The model of what it carries (the generated model of :attr:`schema`), imported on first call."""
    dedup_key: tuple[str, ...]
    """The fields that tell one push of this kind from another: ClickSend's retries of a push repeat them."""
    formats: tuple[str, ...]
    """How the push may arrive, a URL rule's ``webhook_type``: ``"post"`` (a form body), ``"json"`` (a JSON
    body), ``"get"`` (the query string)."""
    docs_section: str
    """The section of ClickSend's reference that lists the push's variables."""
    summary: str

    def identity(self, push: ClickSendModel) -> tuple[str, ...]:
        """The text of each of the push's :attr:`dedup_key` fields (``""`` for one it lacks): a push with
        none of them is not one ClickSend sent (:func:`parse` refuses it), one lacking some cannot be told
        from another (a receiver handles it every time)."""
        values = []
        for name in self.dedup_key:
            value = getattr(push, name, None)
            if value is None and push.model_extra:
                value = push.model_extra.get(name)
            values.append("" if value is None else str(value))
        return tuple(values)


def table() -> dict[str, Webhook[Any]]:
    """The generated table, imported on first use."""
    return importlib.import_module("aioclicksend._generated.webhooks").WEBHOOKS  # type: ignore[no-any-return]


def kinds() -> tuple[str, ...]:
    """Every kind of push the spec describes."""
    return tuple(table())


def webhook(kind: str) -> Webhook[Any]:
    """The table's entry for ``kind``; a kind the spec does not describe is a ValueError naming the kinds."""
    found = table().get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValueError(f"unknown kind of push {kind!r}; the kinds are {', '.join(kinds())}")
    return found
