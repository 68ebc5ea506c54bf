"""Base of the generated resource classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = ["APIResource"]


class APIResource:
    """A group of operations (``client.sms``, ``client.sms.templates``…) bound to one client."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client
