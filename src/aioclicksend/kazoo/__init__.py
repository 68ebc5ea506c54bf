"""The Kazoo v2 Faxes API (send, track and manage faxes on a Kazoo platform), through the same core.

    from aioclicksend.kazoo import AsyncKazoo

    async with AsyncKazoo(base_url="http://kazoo:8000/v2", account_id="...", api_key="...") as kazoo:
        job = await kazoo.faxes.send(to_number="+15555550100", from_number="+15555550199", file="fax.pdf")

Generated models live in :mod:`aioclicksend.kazoo.models` (imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import AsyncKazoo, KazooCredentials

__all__ = ["AsyncKazoo", "KazooCredentials"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import _client

        return getattr(_client, name)
    if name == "models":
        from ._generated import models

        return models
    raise AttributeError(f"module 'aioclicksend.kazoo' has no attribute {name!r}")
