"""Every model of the API, generated from the spec (request bodies and the ``data`` of answers).

A model's module is imported the first time its name is read (``models.SmsMessage``).
"""

from typing import TYPE_CHECKING, Any

from ._generated import models as _models

if TYPE_CHECKING:
    from ._generated.models import *  # noqa: F403


def __getattr__(name: str) -> Any:
    return getattr(_models, name)


def __dir__() -> list[str]:
    return dir(_models)
