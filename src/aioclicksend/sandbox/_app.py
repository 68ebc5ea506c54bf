"""The sandbox's aiohttp application: routing from the spec, auth, validation, state and fault injection."""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .._base_client import validation_problems
from .._message_parts import count_parts
from .._models import OpenStrEnum
from .._pagination import MAX_PAGE_SIZE
from ._faults import Counters, Faults, RateLimiter
from ._spec import SandboxOperation, operations
from ._store import Store

__all__ = ["TEST_ACCOUNTS", "SandboxState", "create_app"]

API_PREFIX = "/v3"
CONTROL_PREFIX = "/_sandbox"  # the sandbox's own endpoints (counters, faults), outside the ClickSend API
MAX_JSON_DEPTH = 64  # arrays and objects nested deeper are refused before parsing
MIN_PAGE_SIZE = 15  # the docs' Pagination section: 15 to 100 per page
E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
PRICE_PER_PART = Decimal("0.0770")

# The docs' test credentials (section "Testing"): any key, these usernames answer as those accounts do.
TEST_ACCOUNTS = {
    "nocredit": (403, "INSUFFICIENT_CREDIT", "You have reached the end of your message credits."),
    "notactive": (403, "ACCOUNT_NOT_ACTIVATED", "Your account has not been activated."),
    "banned": (403, "ACCOUNT_BANNED", "This account is banned."),
}

Handler = Callable[["Call"], web.Response]
"""What answers one operation, given the validated request."""


@dataclass
class SandboxState:
    """What one sandbox server holds: its faults (change them at run time), counters and data."""

    faults: Faults = field(default_factory=Faults)
    counters: Counters = field(default_factory=Counters)
    store: Store = field(default_factory=Store)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    accounts: Mapping[str, str] | None = None
    """The only username → API key pairs accepted; None: any non-empty username and key."""


STATE_KEY = web.AppKey("aioclicksend_sandbox_state", SandboxState)


def envelope(status: int, code: str, message: str, data: Any = None) -> web.Response:
    return web.json_response(
        {"http_code": status, "response_code": code, "response_msg": message, "data": data}, status=status
    )


class Refusal(Exception):
    """Raised by a handler to answer with an error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = envelope(status, code, message)


@dataclass
class Call:
    """One validated request, as the behaviours see it."""

    request: web.Request
    operation: SandboxOperation
    state: SandboxState
    account: str
    path_values: dict[str, Any]
    query: dict[str, Any]
    body: dict[str, Any]

    @property
    def store(self) -> Store:
        return self.state.store

    def collection_path(self, path: str) -> str:
        return path.format(**self.path_values)

    def ok(self, data: Any, message: str | None = None) -> web.Response:
        if not self.operation.envelope:
            return web.json_response(data)
        example = self.operation.example if isinstance(self.operation.example, dict) else {}
        return envelope(200, "SUCCESS", message or example.get("response_msg") or "OK", data)


# --- validation -------------------------------------------------------------------------------------


def _coerce(value: str, schema: dict[str, Any], name: str) -> Any:
    """A path or query value converted to the spec's type, or a 400 naming the parameter."""
    kinds = schema.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    converted: Any = value
    if "integer" in kinds:
        try:
            converted = int(value)
        except ValueError:
            raise Refusal(400, "BAD_REQUEST", f"{name}: must be an integer, not {value!r}") from None
        if "minimum" in schema and converted < schema["minimum"]:
            raise Refusal(400, "BAD_REQUEST", f"{name}: must be at least {schema['minimum']}")
        if "maximum" in schema and converted > schema["maximum"]:
            raise Refusal(400, "BAD_REQUEST", f"{name}: must be at most {schema['maximum']}")
    if "enum" in schema and converted not in schema["enum"]:
        raise Refusal(400, "BAD_REQUEST", f"{name}: must be one of {', '.join(map(str, schema['enum']))}")
    return converted


JSON_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # an unterminated one runs to the end
NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def _nested_deeper_than(limit: int, raw: bytes) -> bool:
    """Whether JSON text nests arrays and objects deeper than ``limit``, read in one pass without parsing."""
    depth = 0
    for bracket in JSON_STRINGS.sub(b"", raw).translate(None, NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _json_object(raw: bytes) -> dict[str, Any]:
    """A request body read as a JSON object, or a 400 saying why it is not one."""
    if _nested_deeper_than(MAX_JSON_DEPTH, raw):
        raise Refusal(
            400, "BAD_REQUEST", f"the request body is nested too deeply (over {MAX_JSON_DEPTH} levels)"
        )
    try:
        payload = json.loads(raw)
    except ValueError:
        raise Refusal(400, "BAD_REQUEST", "the request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise Refusal(400, "BAD_REQUEST", "the request body must be a JSON object")
    return payload


async def _read_raw(request: web.Request) -> bytes:
    try:
        return (await request.read()).strip()
    except ConnectionResetError:  # the client went away mid-body (e.g. it was cancelled): nothing to do
        raise asyncio.CancelledError from None


async def _read_body(request: web.Request, operation: SandboxOperation) -> dict[str, Any]:
    if operation.body_model is None:
        return {}
    raw = await _read_raw(request)
    if not raw and operation.body_required:
        raise Refusal(400, "BAD_REQUEST", "a request body is required")
    raw = raw or b"{}"
    _json_object(raw)
    from .. import models

    model = getattr(models, operation.body_model)
    try:
        validated = model.model_validate_json(raw)
    except ValidationError as error:
        raise Refusal(400, "BAD_REQUEST", "; ".join(validation_problems(error))) from None
    problems = _unlisted_enum_values(validated, "")
    if problems:
        raise Refusal(400, "BAD_REQUEST", "; ".join(problems))
    # A null is taken as "not given", as ClickSend does for optional fields.
    body: dict[str, Any] = validated.model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude_none=True
    )
    return body


def _unlisted_enum_values(value: Any, where: str) -> list[str]:
    """Values the SDK's open enums let through but the spec does not list: a server refuses them."""
    if isinstance(value, OpenStrEnum):
        members = type(value).__members__
        if value.name not in members or members[value.name] is not value:
            return [f"{where}: must be one of {', '.join(member.value for member in members.values())}"]
        return []
    if isinstance(value, BaseModel):
        return [
            problem
            for name in type(value).model_fields
            for problem in _unlisted_enum_values(getattr(value, name), f"{where}.{name}".lstrip("."))
        ]
    if isinstance(value, list):
        return [
            problem
            for index, item in enumerate(value)
            for problem in _unlisted_enum_values(item, f"{where}[{index}]")
        ]
    return []


def _account(request: web.Request, accounts: Mapping[str, str] | None) -> str | None:
    """The username of the request's Basic credentials, if they are accepted."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        username, _, api_key = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not username or not api_key:
        return None
    if accounts is None:
        return username
    return username if hmac.compare_digest(accounts.get(username, "").encode(), api_key.encode()) else None


# --- behaviours ---------------------------------------------------------------------------------------


def _page(call: Call, items: list[dict[str, Any]]) -> web.Response:
    page = call.query.get("page") or 1
    per_page = min(max(call.query.get("limit") or MIN_PAGE_SIZE, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
    total = len(items)
    last_page = max(1, math.ceil(total / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    url = call.request.url

    def link(number: int) -> str | None:
        return str(url.update_query(page=number)) if 1 <= number <= last_page else None

    first = (page - 1) * per_page + 1 if chunk else None
    return call.ok(
        {
            "total": total,
            "per_page": per_page,
            "current_page": page,
            "last_page": last_page,
            "next_page_url": link(page + 1),
            "prev_page_url": link(page - 1) if page > 1 else None,
            "from": first,
            "to": first + len(chunk) - 1 if first is not None else None,
            "data": chunk,
        }
    )


def _shaped(template: Any, values: dict[str, Any]) -> dict[str, Any]:
    """An item shaped like the documented example, with the request's own values in it."""
    item = copy.deepcopy(template) if isinstance(template, dict) else {}
    item.update(values)
    return item


def _recipients(call: Call, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message once per recipient: itself, or a copy for each contact of its ``list_id``."""
    list_id = message.get("list_id")
    if list_id is None:
        return [message]
    return [
        {**message, "to": contact.get("phone_number")}
        for contact in call.store.items(f"/lists/{list_id}/contacts")
    ]


def _send_messages(call: Call, *, record: bool) -> web.Response:
    """A send (or price) of a batch: each item is priced, given a status and, when sent, kept in history."""
    bulk = call.operation.bulk
    assert bulk is not None  # routed here only for operations with x-sdk-bulk
    channel = call.operation.path.rsplit("/", 1)[0].strip("/")
    if record and call.account == "nocredit":
        raise Refusal(*TEST_ACCOUNTS["nocredit"])
    example = call.operation.example_data or {}
    template = (example.get(bulk["results"]) or [{}])[0]
    text = bulk.get("text")
    needs_number = "to" in bulk.get("recipient", [])
    results = []
    total = Decimal(0)
    now = int(time.time())
    for message in call.body.get(bulk["items"], []):
        for recipient in _recipients(call, message):
            valid = not needs_number or (
                isinstance(recipient.get("to"), str) and bool(E164.match(recipient["to"]))
            )
            parts = count_parts(str(recipient.get(text["field"], "")), text["rule"]).parts if text else 1
            price = PRICE_PER_PART * parts if valid else Decimal(0)
            given = {key: value for key, value in recipient.items() if key != "list_id" and value is not None}
            result = _shaped(template, given)
            result.update({"schedule": recipient.get("schedule", ""), bulk["price"]: str(price)})
            result["status"] = "SUCCESS" if valid else "INVALID_RECIPIENT"
            if "message_parts" in template:
                result.update(direction="out", message_parts=parts)
            for stamp in ("date", "date_added"):
                if stamp in template:
                    result[stamp] = now
            if record:
                result["message_id"] = str(uuid.uuid4()).upper()
                if valid:
                    key = str(recipient.get("custom_string") or json.dumps(recipient, sort_keys=True))
                    call.state.counters.deliveries[(channel, key)] += 1
                    call.store.history.setdefault(channel, []).append(
                        {**result, "status": "Scheduled" if recipient.get("schedule") else "Sent"}
                    )
                    call.store.receipts.setdefault(channel, []).append(
                        {
                            "timestamp_send": now,
                            "timestamp": now,
                            "message_id": result["message_id"],
                            "status_code": "201",
                            "status_text": "Success: Message received on handset.",
                            "error_code": None,
                            "error_text": None,
                            "custom_string": recipient.get("custom_string"),
                            "message_type": channel,
                        }
                    )
            else:
                result.pop("message_id", None)
            total += price
            results.append(result)
    queued = sum(1 for result in results if result["status"] == "SUCCESS")
    data = {
        **example,
        "total_price": str(total),
        "total_count": len(results),
        "queued_count": queued,
        bulk["results"]: results,
    }
    return call.ok(data)


def _send_email(call: Call) -> web.Response:
    """A transactional email: answered like the documented one, with its own values, kept in history."""
    if call.account == "nocredit":
        raise Refusal(*TEST_ACCOUNTS["nocredit"])
    given = {
        key: value
        for key, value in call.body.items()
        if key in ("to", "cc", "bcc", "subject", "body", "schedule")
    }
    email = _shaped(call.operation.example_data, given)
    email.update(
        message_id=str(uuid.uuid4()).upper(), status="Queued", date_added=int(time.time()), _attachments=[]
    )
    email.setdefault("schedule", None)
    recipients = ",".join(sorted(str(recipient.get("email")) for recipient in call.body.get("to", [])))
    call.state.counters.deliveries[("email", f"{recipients}|{call.body.get('subject')}")] += 1
    call.store.history.setdefault("email", []).append(email)
    return call.ok(email)


def _within(moment: Any, since: int | None, until: int | None) -> bool:
    """Whether a history entry's unix time is in [since, until]; an entry without one always is."""
    if not isinstance(moment, int):
        return True
    return (since is None or moment >= since) and (until is None or moment <= until)


def _channel_of(path: str, suffix: str) -> str:
    return path[: -len(suffix)].strip("/") if path.endswith(suffix) else ""


def _cancel(call: Call) -> web.Response:
    channel = call.operation.path.split("/{", 1)[0].strip("/")
    message = call.store.find_message(channel, str(call.path_values.get("message_id")))
    if message is None:
        raise Refusal(404, "NOT_FOUND", "Message not found.")
    message["status"] = "Cancelled"
    return call.ok(call.operation.example_data)


def _cancel_all(call: Call) -> web.Response:
    channel = _channel_of(call.operation.path, "/cancel-all")
    scheduled = [item for item in call.store.history.get(channel, []) if item.get("status") == "Scheduled"]
    for item in scheduled:
        item["status"] = "Cancelled"
    return call.ok({"count": len(scheduled)})


def _move_contact(call: Call) -> web.Response:
    source = call.collection_path("/lists/{from_list_id}/contacts")
    target_list = call.path_values["to_list_id"]
    contact = call.store.collections.get(source, {}).get(str(call.path_values["contact_id"]))
    if contact is None:
        raise Refusal(404, "NOT_FOUND", "Contact not found.")
    moved = {**contact, "list_id": target_list}
    if "/transfer/" in call.operation.path:
        del call.store.collections[source][str(call.path_values["contact_id"])]
    else:
        moved["contact_id"] = call.store.next_id()
    call.store.collections.setdefault(f"/lists/{target_list}/contacts", {})[str(moved["contact_id"])] = moved
    return call.ok(moved)


@dataclass(frozen=True)
class Collection:
    """A stateful collection: POST creates, GET lists; the item path gets, updates and deletes."""

    path: str
    id_name: str


def _collections() -> dict[str, Collection]:
    """Collections found in the spec: a path with a create (POST) whose item path is ``path/{id}``."""
    paths = {operation.path for operation in operations()}
    created = {operation.path for operation in operations() if operation.method == "POST"}
    found: dict[str, Collection] = {}
    for path in created:
        for other in paths:
            match = re.fullmatch(re.escape(path) + r"/\{(\w+)\}", other)
            if match:
                found[path] = found[other] = Collection(path, match.group(1))
    return found


def _id_field(item: dict[str, Any], collection: Collection, path_values: dict[str, Any]) -> str:
    """The id's name in an item: the item path's parameter, or the example's first other ``*_id`` field."""
    if collection.id_name in item:
        return collection.id_name
    ids = [str(key) for key in item if str(key).endswith("_id") and key not in path_values]
    return ids[0] if ids else collection.id_name


def _crud(collection: Collection) -> Handler:
    def handle(call: Call) -> web.Response:
        store = call.store
        path = call.collection_path(collection.path)
        if call.operation.path == collection.path:
            if call.operation.method == "GET":
                if call.operation.paginated:
                    return _page(call, store.items(path))
                if isinstance(call.operation.example_data, list):
                    return call.ok(store.items(path))
                return call.ok(call.operation.example_data)  # a list shape the sandbox does not model
            new_id = store.next_id()
            item = _shaped(call.operation.example_data, {**call.path_values, **call.body})
            item[_id_field(item, collection, call.path_values)] = new_id
            store.collections.setdefault(path, {})[str(new_id)] = item
            return call.ok(item)
        items = store.collections.get(path, {})
        key = str(call.path_values[collection.id_name])
        if key not in items:
            raise Refusal(404, "NOT_FOUND", f"{collection.id_name} {key} not found.")
        if call.operation.method == "GET":
            return call.ok(items[key])
        if call.operation.method in ("PUT", "PATCH"):
            items[key].update(call.body)
            return call.ok(items[key])
        del items[key]
        return call.ok(call.operation.example_data)

    return handle


def _documented(call: Call) -> web.Response:
    """The documented answer, with the request's path values in the fields of the same name."""
    data = call.operation.example_data
    if isinstance(data, dict):
        data.update({key: value for key, value in call.path_values.items() if key in data})
    return call.ok(data)


def _behaviour(operation: SandboxOperation, collections: dict[str, Collection]) -> Handler:
    path, method = operation.path, operation.method

    def history(call: Call) -> web.Response:
        items = call.store.history.get(_channel_of(path, "/history"), [])
        since, until = call.query.get("date_from"), call.query.get("date_to")
        if since is not None or until is not None:
            items = [
                item for item in items if _within(item.get("date") or item.get("date_added"), since, until)
            ]
        return _page(call, items)

    def receipts(call: Call) -> web.Response:
        return _page(call, call.store.receipts.get(_channel_of(path, "/receipts"), []))

    def receipt(call: Call) -> web.Response:
        channel = _channel_of(path, "/receipts/{message_id}")
        wanted = call.path_values["message_id"]
        found = next(
            (item for item in call.store.receipts.get(channel, []) if item["message_id"] == wanted), None
        )
        if found is None:
            raise Refusal(404, "NOT_FOUND", "Receipt not found.")
        return call.ok(found)

    if operation.bulk is not None and path.endswith(("/send", "/price")):
        return functools.partial(_send_messages, record=path.endswith("/send"))
    if method == "POST" and path == "/email/send":
        return _send_email
    if method == "POST" and path.endswith(("/receipts", "/inbound")):
        return _documented  # "create a test receipt / inbound message": answered as documented
    if method == "GET" and path.endswith("/history") and operation.paginated:
        return history
    if method == "GET" and path.endswith("/receipts") and operation.paginated:
        return receipts
    if method == "GET" and path.endswith("/receipts/{message_id}"):
        return receipt
    if method == "PUT" and path.endswith("/{message_id}/cancel"):
        return _cancel
    if method == "PUT" and path.endswith("/cancel-all"):
        return _cancel_all
    if "/contacts/{contact_id}/copy/" in path or "/contacts/{contact_id}/transfer/" in path:
        return _move_contact
    if path in collections:
        return _crud(collections[path])
    return _documented


# --- the application ------------------------------------------------------------------------------------


def _route(
    operation: SandboxOperation, behaviour: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE_KEY]
        faults, counters = state.faults, state.counters
        counters.requests[operation.operation_id] += 1
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        account = _account(request, state.accounts)
        response: web.StreamResponse
        try:
            if operation.auth and account is None:
                raise Refusal(401, "INVALID_CREDENTIALS", "Your username or API key is incorrect.")
            if account in ("notactive", "banned"):
                raise Refusal(*TEST_ACCOUNTS[account])
            if faults.rate_limit is not None:
                wait = state.limiter.acquire(account or request.remote or "anonymous", faults.rate_limit)
                if wait:
                    counters.rate_limited += 1
                    response = envelope(429, "TOO_MANY_REQUESTS", "Rate limit exceeded.")
                    response.headers["Retry-After"] = Counters.retry_after(wait)
                    return response
            if faults.draw(faults.error_rate):
                counters.injected_errors += 1
                status = faults.error_status()
                return envelope(status, "INTERNAL_ERROR", "Injected failure before processing.")
            path_values = {
                name: _coerce(request.match_info[name], schema, name)
                for name, schema in operation.path_parameters.items()
            }
            query: dict[str, Any] = {}
            for parameter in operation.query_parameters:
                if parameter.name in request.query:
                    query[parameter.name] = _coerce(
                        request.query[parameter.name], parameter.schema, parameter.name
                    )
                elif parameter.required:
                    raise Refusal(400, "BAD_REQUEST", f"{parameter.name}: Field required")
            body = await _read_body(request, operation)
            response = behaviour(Call(request, operation, state, account or "", path_values, query, body))
        except Refusal as refusal:
            response = refusal.response
        if faults.draw(faults.spike_rate):
            counters.spiked += 1
            await asyncio.sleep(faults.spike_ms / 1000)
        if faults.draw(faults.drop_rate):
            counters.dropped += 1
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if faults.draw(faults.error_after_rate):
            counters.injected_errors += 1
            return envelope(faults.error_status(), "INTERNAL_ERROR", "Injected failure after processing.")
        return response

    return handle


@web.middleware
async def _count_answers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not request.path.startswith(CONTROL_PREFIX):
        request.app[STATE_KEY].counters.answered[response.status] += 1
    return response


# --- the sandbox's own endpoints: no auth, no faults, not counted -----------------------------------


async def _show_counters(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].counters.snapshot())


async def _reset_counters(request: web.Request) -> web.Response:
    counters = request.app[STATE_KEY].counters
    counters.reset()
    return web.json_response(counters.snapshot())


async def _show_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].faults.settings())


async def _change_faults(request: web.Request) -> web.Response:
    """Sets the fault fields the JSON body names; all are checked before any is changed."""
    faults = request.app[STATE_KEY].faults
    try:
        changes = _json_object(await _read_raw(request))
    except Refusal as refusal:
        return refusal.response
    unknown = sorted(set(changes) - set(faults.settings()))
    if unknown:
        return envelope(400, "BAD_REQUEST", f"{unknown[0]}: not a fault setting")
    try:
        Faults(**{**faults.settings(), **changes})
    except ValueError as error:
        return envelope(400, "BAD_REQUEST", str(error))
    for name, value in changes.items():
        setattr(faults, name, value)
    return web.json_response(faults.settings())


def create_app(state: SandboxState | None = None) -> web.Application:
    """The sandbox as an aiohttp application serving every operation of the spec under ``/v3``, and its
    own counters and faults under ``/_sandbox``."""
    app = web.Application(middlewares=[_count_answers])
    app[STATE_KEY] = state or SandboxState()
    collections = _collections()
    for operation in operations():
        app.router.add_route(
            operation.method,
            API_PREFIX + operation.path,
            _route(operation, _behaviour(operation, collections)),
        )
    app.router.add_get(f"{CONTROL_PREFIX}/counters", _show_counters)
    app.router.add_post(f"{CONTROL_PREFIX}/counters/reset", _reset_counters)
    app.router.add_get(f"{CONTROL_PREFIX}/faults", _show_faults)
    app.router.add_put(f"{CONTROL_PREFIX}/faults", _change_faults)
    return app
