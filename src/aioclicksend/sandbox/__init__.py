"""A local ClickSend: an aiohttp server driven by aioclicksend's operation table, for demos and tests.

Every operation of the table is routed under ``/v3``; Basic auth is required (any non-empty username
and key unless ``accounts`` restricts them; the docs' test usernames ``nocredit``, ``notactive`` and
``banned`` answer as those accounts do); bodies, path and query values are validated against the spec's
JSON Schemas (with jsonschema-rs, not the SDK's models: a second opinion) and refused with a
ClickSend-style 400 envelope naming the field; an unknown route or method gets ClickSend's 404 or 405
envelope, and a trailing ``/`` is tolerated. What each operation does is registered by operationId
(``_behaviours``): contact lists, contacts, templates, alpha tags, default senders and automation rules
are kept in memory; sends land in history with unique message ids and a status per recipient (an
invalid number gets ``INVALID_RECIPIENT``), listed by date range and by a ``q`` search where the
spec has one (``field:value`` pairs, not case-sensitive, ``operator=AND`` or ``OR``; a ``custom_string``
is looked up in an index) and are receipted once their schedule time has come
(``Undelivered`` for a number set aside for fiction, e.g. ``+61491570006``, else ``Delivered``); the
rest answer as the docs show. The collections are derived from the table's paths (a POST to a path
creates what its ``/{id}`` path gets, updates and deletes). The sandbox is a second opinion on the SDK:
it counts message parts (GSM 03.38, the docs' part sizes) and sizes pages (the spec's parameters) on its
own, and imports no private SDK module but the operation tables. Every answer made from the sandbox's
state has the keys and JSON types of
the docs' example of its operation (``_shapes``), with the request's values and null or empty for what
the request did not give. Receipts and inbound SMS are pushed to the enabled URL rules
(``_pushes``; ``server.pushes``, ``server.state.receive_sms``), retried as ClickSend retries them.
Faults (rate limit, 5xx,
latency, dropped connections) are configured through :class:`Faults`, also while the server runs, and
:class:`Counters` say what it received; out of process, ``GET /_sandbox/counters``
(``POST /_sandbox/counters/reset``) and ``GET``/``PUT /_sandbox/faults`` do the same (a write must be
``application/json``, else 415: no cross-site form can send one). Each request is
logged at INFO on the ``aioclicksend.sandbox`` logger (``--log`` shows them on stderr).

The same server serves the Kazoo v2 Faxes API (``kazoo/``): every operation of Kazoo's table under
``/v2/accounts/{account_id}``, with an ``X-Auth-Token`` from ``PUT /v2/api_auth`` (any non-empty API key
unless ``kazoo_api_keys`` restricts them), Kazoo's envelope and errors, bodies checked against Kazoo's
spec, start-key paging (50 a page by default). A fax sent waits in ``faxes/outgoing`` for
``kazoo_transmit_after`` seconds, is transmitted (its pages counted from the PDF; a number ending in
``0000`` fails) and is then in ``faxes/outbox`` with its document; ``server.kazoo`` receives faxes into
the inbox, logs emails to fax and expires tokens. The faults and counters are the same for both APIs
(Kazoo's requests counted as ``kazoo.<operationId>``).

    python -m aioclicksend.sandbox --port 8080 --latency-ms 20 --rate-limit 50 --log
"""

from __future__ import annotations

from ._answers import TEST_ACCOUNTS
from ._app import SandboxState, create_app
from ._faults import Counters, Faults
from ._pushes import PushAttempt, Pushes
from ._server import SandboxServer
from .kazoo.state import KazooState, make_pdf

__all__ = [
    "TEST_ACCOUNTS",
    "Counters",
    "Faults",
    "KazooState",
    "PushAttempt",
    "Pushes",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "make_pdf",
]
