"""The lenient integer of pushes: a form sends every number as text, and a number it has none of as ""."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["FormInteger"]


def _blank_is_none(value: Any) -> Any:
    """ "" (a form's empty value) and whitespace are no number; anything else is left for pydantic's lax int
    parsing, which takes ints and their digits and refuses the rest with a message naming the field."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


FormInteger = Annotated[int | None, BeforeValidator(_blank_is_none)]
"""An integer sent as a number, as its digits ("12"), or as "" for none (read as ``None``); codegen maps the
spec's ``FormInteger`` schema to it."""
