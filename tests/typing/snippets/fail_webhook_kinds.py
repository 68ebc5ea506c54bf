"""A handler registered for another kind's push, a field its push lacks, a kind that does not exist."""

from starlette.requests import Request

from aioclicksend import models, webhooks


async def handle(push: models.SmsReceiptPush) -> None:
    print(push.status)


def register() -> None:
    webhooks.aiohttp_receiver("sms_inbound", handle)  # E: call-overload reportCallIssue reportArgumentType
    webhooks.starlette_endpoint("fax_receipt", handle)  # E: call-overload reportCallIssue reportArgumentType
    webhooks.parse("sms_sent", body=b"")  # E: call-overload reportCallIssue reportArgumentType


def status_of(body: bytes) -> object:
    return webhooks.parse("sms_inbound", body=body).status  # E: attr-defined reportAttributeAccessIssue


async def text_of(request: Request) -> object:
    push = await webhooks.from_starlette(request, "sms_receipt")
    return push.body  # E: attr-defined reportAttributeAccessIssue
