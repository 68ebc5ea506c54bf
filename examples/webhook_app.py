"""An aiohttp.web app that receives ClickSend's pushes: it records the delivery receipts of what it sends
and answers every inbound SMS with an automatic reply.

Runs against whatever CLICKSEND_BASE_URL / CLICKSEND_USERNAME / CLICKSEND_API_KEY point at (`nox -s demo`
points them at the embedded sandbox, which pushes to loopback URLs). The app listens on 127.0.0.1, so
ClickSend itself could only reach it through a tunnel or a public host: set WEBHOOK_PUBLIC_URL then.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable

from aiohttp import web

from aioclicksend import AsyncClickSend, models, webhooks

SENT = 3
WAIT_SECONDS = 15.0
REPLY = "Thanks, we got your message and will answer soon."


class WebhookApp:
    """The receivers, and what they saw: receipts by message id, and the replies sent."""

    def __init__(self, cs: AsyncClickSend, secret: str) -> None:
        self.cs = cs
        self.receipts: dict[str, models.SmsReceiptPush] = {}
        self.replies: list[str] = []
        self.changed = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_route(
            "*",
            "/clicksend/receipts",
            webhooks.aiohttp_receiver("sms_receipt", self.on_receipt, secret=secret),
        )
        self.app.router.add_route(
            "*",
            "/clicksend/inbound",
            webhooks.aiohttp_receiver("sms_inbound", self.on_inbound, secret=secret),
        )

    async def on_receipt(self, push: models.SmsReceiptPush) -> None:
        if push.message_id:
            self.receipts[push.message_id] = push
            self.changed.set()

    async def on_inbound(self, push: models.InboundSmsPush) -> None:
        if not push.from_:
            return
        answer = await self.cs.sms.send(messages=[{"to": push.from_, "body": REPLY, "source": "webhook_app"}])
        self.replies.append(push.from_)
        self.changed.set()
        status = answer.messages[0].status if answer.messages else "no answer"
        print(f"  inbound from {push.from_}: {push.body!r} → replied ({status})")

    async def until(self, done: Callable[[], bool], what: str) -> None:
        """Wait until ``done()`` holds, or fail naming ``what`` did not come."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"timed out after {WAIT_SECONDS:.0f}s waiting for {what}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                continue


async def main() -> None:
    secret = secrets.token_urlsafe(32)
    async with AsyncClickSend() as cs:
        receiver = WebhookApp(cs, secret)
        runner = web.AppRunner(receiver.app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        public = os.environ.get("WEBHOOK_PUBLIC_URL", f"http://127.0.0.1:{port}")
        rule_id = None
        try:
            rule = await cs.automations.sms_receipts.create(
                rule_name="webhook_app receipts",
                match_type=0,
                action="URL",
                action_address=f"{public}/clicksend/receipts?secret={secret}",
                enabled=1,
            )
            rule_id = rule.receipt_rule_id
            print(f"receipt rule {rule_id} pushes to {public}/clicksend/receipts")

            started = time.monotonic()
            # The last number is one set aside for fiction: accepted, but its receipt says Undelivered.
            numbers = [*(f"+6141111{n:04d}" for n in range(SENT - 1)), "+61491570006"]
            sent = await cs.sms.send(
                messages=[{"to": to, "body": "Your order has shipped."} for to in numbers]
            )
            ids = [message.message_id for message in sent.messages or [] if message.message_id]
            print(f"sent {len(ids)} SMS; waiting for their receipts")
            await receiver.until(lambda: all(id_ in receiver.receipts for id_ in ids), f"{len(ids)} receipts")
            for id_ in ids:
                push = receiver.receipts[id_]
                print(f"  receipt for {id_}: {push.status} ({push.status_text})")
            print(f"all receipts in {time.monotonic() - started:.2f}s")

            await cs.sms.inbound.create_test(url=f"{public}/clicksend/inbound?secret={secret}")
            await receiver.until(lambda: bool(receiver.replies), "the inbound SMS and its reply")
            print(f"answered {len(receiver.replies)} inbound SMS")
        finally:
            if rule_id is not None:  # the rule holds the secret, and would push to a URL now gone
                await cs.automations.sms_receipts.delete(receipt_rule_id=rule_id)
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
