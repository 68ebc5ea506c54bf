"""The sandbox's inbound SMS: messages received, the rules they match, the test inbound."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .._answers import Refusal
from .._pushes import Pushes
from .._store import Store
from ._base import BY_ID, Call, _message_id, _now, _paged, _the_account

# --- inbound SMS -------------------------------------------------------------------------------------------


INBOUND_RULES = "CreateSmsInboundRule"
"""The operation creating the inbound SMS rules, whose collection a received SMS is pushed by."""
TEST_SMS_BODY = "This is a test incoming SMS."


def _inbound_sms(store: Store, body: str, from_number: str | None, to: str | None) -> dict[str, Any]:
    """An inbound SMS kept in the inbound list: a reply to the last SMS sent, from its recipient to its
    sender unless ``from_number`` and ``to`` say otherwise; with no SMS sent, a message that replies to
    nothing (no ``original_body`` nor ``original_message_id``)."""
    sent = store.history.get("sms", ())
    original = sent[-1] if sent else {}
    inbound = {
        **{key: _the_account()[key] for key in ("user_id", "subaccount_id")},
        "timestamp": _now(),
        "from": from_number or original.get("to"),
        "to": to or original.get("from"),
        "body": body,
        "original_body": original.get("body"),
        "original_message_id": original.get("message_id"),
        "custom_string": original.get("custom_string"),
        "message_id": _message_id(),
        "_keyword": body.split()[0].lower() if body.split() else "",
    }
    store.inbound.append(inbound)
    return inbound


def _inbound_rule_matches(rule: Mapping[str, Any], sms: Mapping[str, Any]) -> bool:
    """Whether an inbound rule applies to an SMS: by its dedicated number ('*' for any) and search."""
    number = rule.get("dedicated_number")
    if number not in (None, "", "*") and number != sms.get("to"):
        return False
    term, text = str(rule.get("message_search_term") or "").lower(), str(sms.get("body") or "").lower()
    search = rule.get("message_search_type")
    matched = {1: text.startswith(term), 2: term in text, 3: term not in text}
    return matched.get(search, True) if isinstance(search, int) else True


def receive_sms(
    store: Store,
    pushes: Pushes,
    body: str = TEST_SMS_BODY,
    *,
    from_number: str | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    """An SMS received (see :func:`_inbound_sms`) and pushed to the URL of every inbound rule it matches."""
    inbound = _inbound_sms(store, body, from_number, to)
    rules = [rule for rule in store.items(BY_ID[INBOUND_RULES].path) if _inbound_rule_matches(rule, inbound)]
    pushes.send_to_rules("sms_inbound", inbound, rules)
    return inbound


def _create_test_inbound(call: Call) -> web.Response:
    """A test inbound SMS (see :func:`_inbound_sms`), pushed to the URL the request gives (only there)."""
    inbound = _inbound_sms(call.store, TEST_SMS_BODY, None, None)
    call.pushes.send("sms_inbound", inbound, call.body["url"], call.body.get("webhook_type"))
    return call.ok(call.render(inbound))


def _list_inbound(call: Call) -> web.Response:
    return _paged(call, call.store.inbound)


def _get_inbound(call: Call) -> web.Response:
    wanted = call.path_values["original_message_id"]
    found = next((item for item in call.store.inbound if item["original_message_id"] == wanted), None)
    if found is None:
        raise Refusal(404, "NOT_FOUND", "Inbound message not found.")
    return call.ok(call.render(found))
