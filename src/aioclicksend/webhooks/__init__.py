"""Receiving ClickSend's pushes (inbound SMS, delivery receipts) inside an async web app.

    from aiohttp import web
    from aioclicksend import webhooks

    async def on_sms(push):           # an aioclicksend.models.InboundSmsPush
        print(push.from_, push.body)

    app = web.Application()
    receiver = webhooks.aiohttp_receiver("sms_inbound", on_sms, secret="s3cret")
    app.router.add_route("*", "/clicksend/sms", receiver)  # the rule's URL: …/clicksend/sms?secret=s3cret

The kinds of push are the spec's (``openapi/resources/webhooks.yaml``): ``sms_inbound``, ``sms_receipt``,
``voice_receipt`` and ``fax_receipt``. :func:`parse` reads one in whichever format a rule's ``webhook_type``
chose (a form POST, a GET query string, a JSON POST); :func:`aiohttp_receiver` and
:func:`starlette_endpoint` answer ClickSend as it expects, check an optional shared secret, and drop
ClickSend's retries of a push already handled (see :class:`DedupStore`; :class:`RedisDedupStore` shares
them between replicas); :class:`SecretFilter` keeps the
secret out of your access log. :func:`encode` writes a push as ClickSend sends it, for whatever plays
ClickSend's part (the sandbox, your tests).

Names are imported on first use, so neither aiohttp.web nor starlette is loaded before it is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import lazy_exports

if TYPE_CHECKING:
    from aioclicksend._core.models import FormInteger
    from aioclicksend._generated.webhooks import Kind

    from ._by_kind import aiohttp_receiver, from_aiohttp, from_starlette, parse, starlette_endpoint
    from ._dedup import DedupStore, MemoryDedupStore, dedup_key
    from ._encode import EncodedPush, WebhookType, encode
    from ._errors import WebhookError
    from ._logs import SecretFilter
    from ._parse import MAX_BODY
    from ._receivers import SECRET_PARAMETER, Handler
    from ._redis_store import RedisDedupStore
    from ._table import Webhook, kinds, webhook

_EXPORTS = {
    "DedupStore": "._dedup",
    "EncodedPush": "._encode",
    "FormInteger": "aioclicksend._core.models",
    "Handler": "._receivers",
    "Kind": "aioclicksend._generated.webhooks",
    "MAX_BODY": "._parse",
    "MemoryDedupStore": "._dedup",
    "RedisDedupStore": "._redis_store",
    "SECRET_PARAMETER": "._receivers",
    "SecretFilter": "._logs",
    "Webhook": "._table",
    "WebhookError": "._errors",
    "WebhookType": "._encode",
    "aiohttp_receiver": "._by_kind",
    "dedup_key": "._dedup",
    "encode": "._encode",
    "from_aiohttp": "._by_kind",
    "from_starlette": "._by_kind",
    "kinds": "._table",
    "parse": "._by_kind",
    "starlette_endpoint": "._by_kind",
    "webhook": "._table",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "MAX_BODY",
    "SECRET_PARAMETER",
    "DedupStore",
    "EncodedPush",
    "FormInteger",
    "Handler",
    "Kind",
    "MemoryDedupStore",
    "RedisDedupStore",
    "SecretFilter",
    "Webhook",
    "WebhookError",
    "WebhookType",
    "aiohttp_receiver",
    "dedup_key",
    "encode",
    "from_aiohttp",
    "from_starlette",
    "kinds",
    "parse",
    "starlette_endpoint",
    "webhook",
]
