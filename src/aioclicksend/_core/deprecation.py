"""Warnings for what the spec marks ``deprecated: true``: still there, but going in a later minor version.

The warning names the caller's line, not the SDK's: the frames of the SDK and of pydantic (which runs a
model's validators) between the caller and the warning are skipped.
"""

from __future__ import annotations

import os
import sys
import warnings

import pydantic

__all__ = ["DEPRECATED", "warn_deprecated"]

DEPRECATED = "deprecated in the spec and may be removed in a later minor version"
"""What a warning says of a deprecated operation, argument or field, after its name."""

_INTERNAL = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # the SDK: aioclicksend/
    os.path.dirname(os.path.abspath(pydantic.__file__ or "")) + os.sep,
)
"""Where the frames that are not the caller's come from: the SDK's package and pydantic's."""


def warn_deprecated(message: str) -> None:
    """Warn ``DeprecationWarning: message``, attributed to the first frame outside the SDK and pydantic
    above the function that calls this one (a generated method, a model's validator)."""
    level = 3  # 1: here, 2: the function warning on behalf of its caller, 3: that caller
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)
