"""A local ClickSend: an aiohttp server driven by aioclicksend's OpenAPI spec, for demos and tests.

Every operation of the spec is routed under ``/v3``; Basic auth is required (any non-empty username
and key unless ``accounts`` restricts them; the docs' test usernames ``nocredit``, ``notactive`` and
``banned`` answer as those accounts do); request bodies and query parameters are validated against
the spec and refused with a ClickSend-style 400 envelope naming the field. Contact lists, contacts,
templates and automation rules are kept in memory; sends land in history and receipts with unique
message ids and a status per recipient (an invalid number gets ``INVALID_RECIPIENT``). Faults (rate
limit, 5xx, latency, dropped connections) are configured through :class:`Faults`, also while the
server runs, and :class:`Counters` say what it received; out of process, ``GET /_sandbox/counters``
(``POST /_sandbox/counters/reset``) and ``GET``/``PUT /_sandbox/faults`` do the same.

    python -m aioclicksend.sandbox --port 8080 --latency-ms 20 --rate-limit 50
"""

from __future__ import annotations

from ._app import TEST_ACCOUNTS, SandboxState, create_app
from ._faults import Counters, Faults
from ._server import SandboxServer

__all__ = ["TEST_ACCOUNTS", "Counters", "Faults", "SandboxServer", "SandboxState", "create_app"]
