"""A minimal ClickSend-shaped server for benchmarks: as little work per message as an answer allows.

    python bench/fake_server.py [--latency-ms 20]        # prints "listening on http://127.0.0.1:PORT/v3"

``POST /v3/sms/send`` answers with the docs' envelope and one entry per message (its ``to`` and
``custom_string`` echoed, status SUCCESS, a price), after a fixed latency. Nothing is validated or
kept: it measures the client, never itself. It runs in its own process, on its own core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket

from aiohttp import web

ENTRY = (
    '{"direction":"out","date":1436871253,"to":%s,"body":"","from":"sendmobile","schedule":"",'
    '"message_id":"BF7AD270-0DE2-418B-B606-71D527D9C1AE","message_parts":1,"message_price":"0.0770",'
    '"custom_string":%s,"user_id":1,"subaccount_id":1,"country":"AU","carrier":"Telstra","status":"SUCCESS"}'
)


async def send(request: web.Request) -> web.Response:
    messages = json.loads(await request.read())["messages"]
    await asyncio.sleep(request.app["latency"])
    dumps = json.dumps
    entries = ",".join(
        [ENTRY % (dumps(message.get("to")), dumps(message.get("custom_string"))) for message in messages]
    )
    total = f"{0.077 * len(messages):.4f}"
    body = (
        '{"http_code":200,"response_code":"SUCCESS","response_msg":"Messages queued for delivery.",'
        f'"data":{{"total_price":"{total}","total_count":{len(messages)},"queued_count":{len(messages)},'
        f'"messages":[{entries}],"_currency":{{"currency_name_short":"AUD"}}}}}}'
    )
    return web.Response(body=body.encode(), content_type="application/json")


async def serve(latency_ms: float) -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app["latency"] = latency_ms / 1000
    app.router.add_post("/v3/sms/send", send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    print(f"listening on http://127.0.0.1:{listener.getsockname()[1]}/v3", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    asyncio.run(serve(parser.parse_args().latency_ms))


if __name__ == "__main__":
    main()
