"""A push's model, and the handler a receiver takes, follow its kind."""

from aiohttp import web
from starlette.routing import Route
from typing_extensions import assert_type

from aioclicksend import models, webhooks
from aioclicksend._core.models import ClickSendModel


async def on_sms(push: models.InboundSmsPush) -> None:
    print(push.from_, push.body)


def on_receipt(push: models.SmsReceiptPush) -> None:
    print(push.message_id, push.status)


async def on_any(push: ClickSendModel) -> None:  # a handler for every kind takes their common base
    print(push.model_extra)


async def receive(request: web.Request) -> web.Response:
    assert_type(await webhooks.from_aiohttp(request, "voice_receipt"), models.VoiceReceiptPush)
    return web.Response()


def read(kind: webhooks.Kind) -> None:
    assert_type(webhooks.parse("sms_inbound", body=b"message_id=1"), models.InboundSmsPush)
    assert_type(webhooks.parse("sms_receipt", query="message_id=1"), models.SmsReceiptPush)
    assert_type(webhooks.parse("fax_receipt", body="{}"), models.FaxReceiptPush)
    print(webhooks.parse(kind, body=b"").model_extra)  # a kind known only at run time: any of the models
    app = web.Application()
    app.router.add_route("*", "/sms", webhooks.aiohttp_receiver("sms_inbound", on_sms, secret="s"))
    app.router.add_route("*", "/receipts", webhooks.aiohttp_receiver("sms_receipt", on_receipt))
    app.router.add_route("*", "/any", webhooks.aiohttp_receiver(kind, on_any))
    Route("/sms", webhooks.starlette_endpoint("sms_inbound", on_sms), methods=["GET", "POST"])
