"""A local ClickSend: an aiohttp server driven by aioclicksend's operation table, for demos and tests.

Every operation of the table is routed under ``/v3``; Basic auth is required (any non-empty username
and key unless ``accounts`` restricts them; the docs' test usernames ``nocredit``, ``notactive`` and
``banned`` answer as those accounts do); bodies, path and query values are validated against the spec's
JSON Schemas (with jsonschema-rs, not the SDK's models: a second opinion) and refused with a
ClickSend-style 400 envelope naming the field. What each operation does is registered by operationId
(``_behaviours``): contact lists, contacts, templates, alpha tags and automation rules are kept in
memory; sends land in history and receipts with unique message ids and a status per recipient (an
invalid number gets ``INVALID_RECIPIENT``); the rest answer as the docs show. Faults (rate limit, 5xx,
latency, dropped connections) are configured through :class:`Faults`, also while the server runs, and
:class:`Counters` say what it received; out of process, ``GET /_sandbox/counters``
(``POST /_sandbox/counters/reset``) and ``GET``/``PUT /_sandbox/faults`` do the same. Each request is
logged at INFO on the ``aioclicksend.sandbox`` logger (``--log`` shows them on stderr).

    python -m aioclicksend.sandbox --port 8080 --latency-ms 20 --rate-limit 50 --log
"""

from __future__ import annotations

from ._answers import TEST_ACCOUNTS
from ._app import SandboxState, create_app
from ._faults import Counters, Faults
from ._server import SandboxServer

__all__ = ["TEST_ACCOUNTS", "Counters", "Faults", "SandboxServer", "SandboxState", "create_app"]
