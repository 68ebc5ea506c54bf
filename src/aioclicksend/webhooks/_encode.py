"""Writing a push as ClickSend sends it, in each ``webhook_type``: the inverse of :func:`parse`, for whatever
plays ClickSend's part (the sandbox, your tests)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from pydantic import ValidationError

from ._parse import FORM, _invalid
from ._table import webhook

if TYPE_CHECKING:
    from aioclicksend._core.models import ClickSendModel
    from aioclicksend._generated.webhooks import Kind

__all__ = ["EncodedPush", "WebhookType", "encode"]

WebhookType = Literal["post", "get", "json"]
"""A URL rule's ``webhook_type``: a form POST (ClickSend's default), a GET query string, or a JSON POST."""


@dataclass(frozen=True, slots=True)
class EncodedPush:
    """One push as an HTTP request to the rule's URL (append :attr:`query` to the URL's own query)."""

    method: str
    query: str
    body: bytes
    content_type: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}


def encode(
    kind: Kind, push: ClickSendModel | Mapping[str, Any], webhook_type: WebhookType = "post"
) -> EncodedPush:
    """``push`` (the model of ``kind``, or a mapping of its fields) as ClickSend sends it with
    ``webhook_type``: every field the model holds, in its order, by the name ClickSend uses (``from``); in a
    form or query every value is text and one there is none of is ``""``; in JSON numbers stay numbers and
    none is ``null``. :func:`parse` reads it back. A mapping whose fields the model refuses raises
    :class:`~aioclicksend.WebhookError`; an unknown ``kind`` or ``webhook_type`` a ValueError."""
    entry = webhook(kind)
    if webhook_type not in ("post", "get", "json"):
        raise ValueError(f"webhook_type is post, get or json, not {webhook_type!r}")
    model: type[ClickSendModel] = entry.model()
    if not isinstance(push, model):
        try:
            push = model.model_validate(push)
        except ValidationError as error:
            raise _invalid(entry.kind, error) from None
    fields = push.model_dump(mode="json", by_alias=True)
    if webhook_type == "json":
        return EncodedPush("POST", "", json.dumps(fields).encode(), "application/json")
    form = urlencode([(name, _text(value)) for name, value in fields.items()])
    if webhook_type == "get":
        return EncodedPush("GET", form, b"", None)
    return EncodedPush("POST", "", form.encode("ascii"), FORM)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
