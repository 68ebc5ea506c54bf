"""``aioclicksend sms``: send one SMS, price it, read the history."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

from .._client import AsyncClickSend
from ._common import Failed, print_json, run, terminal_text

if TYPE_CHECKING:
    from ..params import SmsMessageParam

__all__ = ["sms"]


@click.group()
def sms() -> None:
    """Send one SMS, price it, read the history."""


def _one_message(
    to: str, body: str, sender: str | None, schedule: int | None, custom: str | None
) -> SmsMessageParam:
    message: SmsMessageParam = {"to": to, "body": body}
    if sender is not None:
        message["from"] = sender
    if schedule is not None:
        message["schedule"] = schedule
    if custom is not None:
        message["custom_string"] = custom
    return message


@sms.command("send")
@click.option("--to", required=True, help="Recipient, E.164 (+61411111111).")
@click.option("--body", required=True, help="The text.")
@click.option("--from", "sender", help="Sender ID or number.")
@click.option("--schedule", type=int, help="Unix time to send at.")
@click.option("--custom-string", help="Your reference, kept in history and receipts.")
@click.pass_context
def sms_send(
    context: click.Context,
    to: str,
    body: str,
    sender: str | None,
    schedule: int | None,
    custom_string: str | None,
) -> None:
    """Send one SMS; prints ClickSend's answer as JSON."""
    message = _one_message(to, body, sender, schedule, custom_string)
    result = run(lambda cs: cs.sms.send(messages=[message]), context)
    print_json(result)
    if any(sent.status != "SUCCESS" for sent in result.messages or []):
        raise Failed(f"not sent: {', '.join(str(sent.status) for sent in result.messages or [])}")


@sms.command("price")
@click.option("--to", required=True, help="Recipient, E.164.")
@click.option("--body", required=True, help="The text.")
@click.option("--from", "sender", help="Sender ID or number.")
@click.pass_context
def sms_price(context: click.Context, to: str, body: str, sender: str | None) -> None:
    """Price one SMS without sending it; prints ClickSend's answer as JSON."""
    message = _one_message(to, body, sender, None, None)
    print_json(run(lambda cs: cs.sms.price(messages=[message]), context))


def _moment(value: str | None, option: str) -> int | None:
    """Unix time from a Unix time or an ISO 8601 date or date-time (UTC unless it says)."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: not a Unix time nor an ISO date", param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


@sms.command("history")
@click.option("--since", help="From this moment: Unix time or ISO date (2026-11-01, 2026-11-01T09:00).")
@click.option("--until", help="To this moment (same forms).")
@click.option("--format", "output", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True)
@click.pass_context
def sms_history(context: click.Context, since: str | None, until: str | None, output: str) -> None:
    """Every SMS sent in a time window, one JSON object a line or a table."""
    query: dict[str, Any] = {}
    if (date_from := _moment(since, "--since")) is not None:
        query["date_from"] = date_from
    if (date_to := _moment(until, "--until")) is not None:
        query["date_to"] = date_to

    async def walk(cs: AsyncClickSend) -> None:
        if output == "table":
            click.echo(f"{'date':<20} {'to':<16} {'status':<12} {'message_id':<38} body")
        async for message in cs.sms.history.list(**query):
            if output == "jsonl":
                print_json(message)
                continue
            date = datetime.fromtimestamp(message.date or 0, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            body = terminal_text(message.body or "")[:40]
            to, status, message_id = (
                terminal_text(value or "") for value in (message.to, message.status, message.message_id)
            )
            click.echo(f"{date:<20} {to:<16} {status:<12} {message_id:<38} {body}")

    run(walk, context)
