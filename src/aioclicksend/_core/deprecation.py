"""Warnings for what the spec marks ``deprecated: true``: still there, but going in a later minor version.

The warning names the caller's line, not the SDK's: the frames of the SDK and of pydantic (which runs a
model's validators) between the caller and the warning are skipped. Work that runs later in a task of
its own (a bulk job's checks) warns at the line that started it, taken with :func:`call_site`.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType
from typing import Any, NamedTuple

import pydantic

__all__ = ["DEPRECATED", "CallSite", "call_site", "deprecated_field", "warn_deprecated"]

DEPRECATED = "deprecated in the spec and may be removed in a later minor version"
"""What a warning says of a deprecated operation, argument or field, after its name."""

_INTERNAL = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # the SDK: aioclicksend/
    os.path.dirname(os.path.abspath(pydantic.__file__ or "")) + os.sep,
)
"""Where the frames that are not the caller's come from: the SDK's package and pydantic's."""


class CallSite(NamedTuple):
    """A line of the caller's code, as :func:`warnings.warn_explicit` takes it."""

    filename: str
    lineno: int
    module_globals: dict[str, Any]


def _site(frame: FrameType) -> CallSite:
    """The line of the first frame at or above ``frame`` outside the SDK and pydantic (the outermost
    frame's if none is)."""
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
    return CallSite(frame.f_code.co_filename, frame.f_lineno, frame.f_globals)


def call_site() -> CallSite:
    """The caller's line above the function that calls this one: where its warnings are to point."""
    return _site(sys._getframe(2))


def deprecated_field(model: type[Any], wire_name: str) -> str:
    """What a warning says of a model's deprecated field."""
    return f"{model.__name__}.{wire_name} is {DEPRECATED}"


def warn_deprecated(message: str, at: CallSite | None = None) -> None:
    """Warn ``DeprecationWarning: message`` at ``at``, or at the first line outside the SDK and pydantic
    above the function that calls this one (a generated method, a model's validator)."""
    if at is None:
        at = _site(sys._getframe(2))
    warnings.warn_explicit(
        message,
        DeprecationWarning,
        at.filename,
        at.lineno,
        module=at.module_globals.get("__name__", "<unknown>"),
        registry=at.module_globals.setdefault("__warningregistry__", {}),
        module_globals=at.module_globals,
    )
