"""What the SDK knows of one push: the record type of the webhook table codegen writes from the spec's
``webhooks`` (``aioclicksend._generated.webhooks``), as :mod:`~aioclicksend._core.operation` holds the
operation table's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from .models import ClickSendModel

__all__ = ["Webhook"]

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
