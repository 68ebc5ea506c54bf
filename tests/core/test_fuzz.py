"""Fuzzing: hypothesis-drawn hostile answers for a send, a get, a delete, a paged list and a bulk send;
and hostile bulk input (any text, lone surrogates included; odd keys and values).

A local server (tests/hostile_server.py) answers each request with raw bytes drawn by hypothesis:
any status, malformed status lines, lying ``Content-Length``, broken chunked or gzip framing, a gzip
bomb, bodies cut short, no answer, a reset connection, no answer until the client times out,
redirects (same path, same origin, another origin, nowhere), odd content types and ``Retry-After``
values, JSON of every shape and type (NaN, Infinity, 400-digit numbers, invalid UTF-8, repeated keys,
big values), send answers built from the request (entries whose status, price and ``custom_string``
are of the wrong type, missing, duplicated, extra or reordered), and pages that do not advance, grow
for ever or are garbage.

Properties, for every example:

- the only exceptions that escape a public call are :class:`aioclicksend.ClickSendError` subclasses;
- nothing hangs: each example ends within ``EXAMPLE_TIMEOUT`` seconds and stays under a number of
  requests (``RUNAWAY``; for a bulk job, a request per batch and retry); a page walk asks for no page
  again and again, and reads at most ``max_pages`` pages;
- a call makes at most ``max_retries + 1`` attempts;
- redirects (README, Errors): a send never follows one; other operations only to the same origin, at
  most 3 in a row; nothing ever goes to another origin;
- a send (or a bulk batch) is never POSTed again unless the previous attempt was answered 429;
- a bulk job gives each message it took exactly one outcome (all of them, unless it was stopped,
  broken out of or cancelled), with ``summary.handed_out == summary.settled``, and never sends a
  message in two batches, nor an invalid one at all.

The run inside the normal suite is bounded and derandomized. ``AIOCLICKSEND_FUZZ_EXAMPLES=20000``
(what ``nox -s fuzz`` sets) spreads that many examples over the tests, drawn at random each run.
Each failing example is printed by a ``note`` (``plan = …``, ``walk = …``, ``case = …``).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import gzip
import itertools
import json
import math
import os
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import aioclicksend._core.retry
import aioclicksend.bulk.rate
from aioclicksend import AsyncClickSend, BulkSummary, ClickSendError, OutcomeKind, Page, RetryPolicy, models
from aioclicksend._core.operation import Operation
from aioclicksend._generated.operations import OPERATIONS
from aioclicksend.bulk.checks import BatchChecker
from aioclicksend.params import SmsMessageParam

from ..hostile_server import HostileServer, Reply, Request

_T = TypeVar("_T")

# ---- budget ----

EXAMPLES_VARIABLE = "AIOCLICKSEND_FUZZ_EXAMPLES"
FUZZ_TESTS = 7
"""The @given tests below, which share the examples of a long run."""
_TOTAL = os.environ.get(EXAMPLES_VARIABLE, "").strip()
LONG_RUN = bool(_TOTAL)

EXAMPLE_TIMEOUT = 4.0
"""Seconds an example may take before it counts as hanging."""
READ_TIMEOUT = 0.25
"""The client's read timeout: how long a stalled answer costs (normal answers take milliseconds)."""
RUNAWAY = 100
"""More requests than this in one example: the client does not stop (a bulk job's limit is its own)."""


def budget(bounded: int) -> settings:
    """``bounded`` examples in the normal suite (derandomized); a share of the long run's otherwise."""
    return settings(
        max_examples=max(1, int(_TOTAL) // FUZZ_TESTS) if LONG_RUN else bounded,
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        print_blob=LONG_RUN,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


# ---- JSON with everything JSON parsers disagree on ----


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is: ``NaN``, ``1e400``, a 400-digit number…"""

    text: str

    def __repr__(self) -> str:
        return f"Raw({self.text if len(self.text) < 30 else self.text[:12] + '…'!r})"


@dataclass(frozen=True)
class Pairs:
    """A JSON object whose keys may repeat."""

    items: tuple[tuple[str, Any], ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""As a value in a dict: leave the key out."""


class Compact:
    """A dataclass whose repr shows only the fields that differ from their defaults."""

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if item.default is not dataclasses.MISSING and value == item.default:
                continue
            if item.default_factory is not dataclasses.MISSING and value == item.default_factory():
                continue
            shown.append(f"{item.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


@dataclass(frozen=True)
class Context:
    """What a deferred part of an answer is built from: the request it answers."""

    request: Request
    script: Script

    @property
    def page(self) -> int:
        asked = self.request.query.get("page", ["0"])[0]
        return int(asked) if asked.isdigit() else 0

    @property
    def messages(self) -> list[Any]:
        return request_messages(self.request)


def request_messages(request: Request) -> list[Any]:
    """The ``messages`` of a send request (empty if it has none)."""
    try:
        body = request.json()
    except ValueError:
        return []
    messages = body.get("messages") if isinstance(body, dict) else None
    return messages if isinstance(messages, list) else []


class Deferred:
    """A part of an answer that depends on the request."""

    def resolve(self, context: Context) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Asked(Deferred):
    """The page number asked for, plus ``offset``."""

    offset: int = 0

    def resolve(self, context: Context) -> Any:
        return context.page + self.offset


@dataclass(frozen=True)
class Long(Deferred):
    """A long string (its repr stays short)."""

    length: int

    def resolve(self, context: Context) -> Any:
        return "x" * self.length


@dataclass(frozen=True)
class Many(Deferred):
    """A list of ``count`` copies of ``value`` (written once and repeated, which keeps big answers fast);
    inside a list, with ``spliced``, the copies are items of that list."""

    value: Any
    count: int
    spliced: bool = False

    def resolve(self, context: Context) -> Any:
        return [self.value] * self.count


@dataclass(frozen=True)
class Location(Deferred):
    """Where a redirect points, relative to the request."""

    kind: str

    def resolve(self, context: Context) -> Any:
        here = context.request.target
        route = f"/{context.script.token}/v3"
        local = f"127.0.0.1:{context.script.server.port}"
        return {
            "same": here,
            "other-path": f"{route}/elsewhere",
            "absolute": f"http://{local}{route}/elsewhere",
            "scheme-relative": f"//{local}{route}/elsewhere",
            "relative": "elsewhere",
            "other-origin": f"http://127.0.0.1:{context.script.server.other_port}{route}/elsewhere",
            "closed-port": f"http://127.0.0.1:9{route}/sms/send",
            "ftp": f"ftp://{local}/file",
            "empty": "",
            "broken": "http://[::1",
        }[self.kind]


def dump(value: Any, context: Context) -> str:
    """``value`` as JSON text, with NaN and Infinity literals, lone surrogates and repeated keys as given."""
    if isinstance(value, Many):
        return "[" + ",".join([dump(value.value, context)] * value.count) + "]"
    if isinstance(value, Deferred):
        return dump(value.resolve(context), context)
    if isinstance(value, Raw):
        return value.text
    if value is None or isinstance(value, (bool, int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (list, tuple)):
        parts: list[str] = []
        for item in value:
            if isinstance(item, Many) and item.spliced:
                parts += [dump(item.value, context)] * item.count
            else:
                parts.append(dump(item, context))
        return "[" + ",".join(parts) + "]"
    items = value.items if isinstance(value, Pairs) else value.items()
    return (
        "{"
        + ",".join(
            f"{json.dumps(key, ensure_ascii=False)}:{dump(item, context)}"
            for key, item in items
            if item is not MISSING
        )
        + "}"
    )


# ---- bodies and answers ----


@dataclass(frozen=True)
class Json:
    value: Any

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, dict) and all(value.get(name) == given for name, given in ENVELOPE.items()):
            return f"envelope({ {name: item for name, item in value.items() if name not in ENVELOPE}!r})"
        return f"Json({value!r})"

    def render(self, context: Context) -> bytes:
        return dump(self.value, context).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Cut:
    """A JSON body cut after ``keep`` bytes."""

    body: Json
    keep: int

    def render(self, context: Context) -> bytes:
        whole = self.body.render(context)
        return whole[: min(self.keep, max(0, len(whole) - 1))]


@dataclass(frozen=True)
class Bytes:
    data: bytes

    def render(self, context: Context) -> bytes:
        return self.data

    def __repr__(self) -> str:
        shown = self.data if len(self.data) <= 40 else self.data[:20] + b"..." + self.data[-8:]
        return f"Bytes({shown!r}, {len(self.data)} bytes)"


Body = Json | Cut | Bytes


@dataclass(frozen=True, repr=False)
class Answer(Compact):
    """One answer to one request, down to the bytes on the wire."""

    status: int = 200
    body: Body = Json({})
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, Any], ...] = ()
    framing: str = "length"
    connection: str = "answer"
    status_line: str | None = None
    """A malformed status line, written instead of ``HTTP/1.1 <status> Fuzz``."""

    @property
    def well_formed(self) -> bool:
        """The client reads the status (whatever it then makes of the body)."""
        return self.connection == "answer" and self.status_line is None and self.framing != "two-lengths"

    @property
    def says_429(self) -> bool:
        return self.well_formed and self.status == 429

    @property
    def redirects(self) -> bool:
        return self.well_formed and 300 <= self.status < 400 and any(n == "Location" for n, _ in self.headers)

    def reply(self, context: Context) -> Reply:
        if self.connection == "close":
            return Reply(b"")
        if self.connection == "reset":
            return Reply(reset=True)
        if self.connection == "stall":
            return Reply(stall=True)
        body = self.body.render(context)
        headers: list[tuple[str, str]] = [("Connection", "close")]
        if self.content_type is not None:
            headers.append(("Content-Type", self.content_type))
        headers += [
            (name, value.resolve(context) if isinstance(value, Deferred) else value)
            for name, value in self.headers
        ]
        framing = self.framing
        if framing == "length":
            headers.append(("Content-Length", str(len(body))))
        elif framing == "short":
            headers.append(("Content-Length", str(len(body) // 2)))
        elif framing == "long":
            headers.append(("Content-Length", str(len(body) + 10)))
        elif framing == "two-lengths":
            headers += [("Content-Length", str(len(body))), ("Content-Length", str(len(body) + 1))]
        elif framing == "chunked":
            headers.append(("Transfer-Encoding", "chunked"))
            body = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
        elif framing == "bad-chunked":
            headers.append(("Transfer-Encoding", "chunked"))
            body = b"zz\r\n" + body
        elif framing == "gzip":
            body = gzip.compress(body, mtime=0)
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        elif framing == "bad-gzip":
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        elif framing == "gzip-bomb":
            body = gzip_bomb()
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        # "none": no length at all, the body ends when the connection does
        status_line = self.status_line if self.status_line is not None else f"HTTP/1.1 {self.status} Fuzz"
        head = status_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        return Reply(head.encode("latin-1", "replace") + body)


@functools.cache
def gzip_bomb() -> bytes:
    """80 KB that decompress to 80 MB of zeros."""
    return gzip.compress(bytes(80 * 2**20), compresslevel=9, mtime=0)


# ---- strategies: a well-formed answer, then a few things wrong with it ----
#
# Hostility drawn everywhere at once would stop nearly every example at the first layer (the status
# line, the framing…), and the code behind it (envelopes, matching, paging) would rarely run. So each
# answer starts well-formed and gets zero to two changes, and so does its data: hypothesis shrinks a
# failure to the fewest changes that cause it.

HUGE = st.sampled_from(
    [
        Raw("1" + "0" * 400),
        Raw("-" + "9" * 400),
        Raw("1e400"),
        Raw("-1e400"),
        Raw("1e-400"),
        Raw("NaN"),
        Raw("Infinity"),
        Raw("-Infinity"),
        Raw("-0"),
        Raw("[" * 300 + "]" * 300),
        2**63,
        -(2**63) - 1,
        2**64,
        10**30,
    ]
)
ODD_TEXT = st.sampled_from(
    ["", " ", "\x00", "\ud800", "a\udfffb", "é", "😀", "null", "NaN", "sNaN", "1e400", "<html>", "SUCCESS"]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), HUGE, st.text(max_size=10), ODD_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value, odd ones often."""
BIG = st.sampled_from([Long(200_000), Many(0, 50_000), Many({"a": "b"}, 5_000)])
ODD = st.one_of(JSON, JSON, JSON, BIG, st.just(MISSING))
"""What a field may be instead of what it should: any JSON, a big value, or missing."""
PRICES = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "sNaN",
            "-sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "1e400",
            "1E-400",
            "1e999999999",
            "-1",
            "abc",
            "",
            " 0.1 ",
            "0x10",
            "1_000",
            "١٢٣",
            "0.07.1",
        ]
    ),
    st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e400"), Raw("1" + "0" * 400)]),
    st.floats(),
    ODD,
)


def mostly(good: Any, odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` about three times in four, else something drawn from ``odd``."""
    return st.one_of(st.just(good), st.just(good), st.just(good), odd)


def changed(value: dict[str, Any], edits: tuple[tuple[str, Any], ...]) -> Any:
    result: Any = dict(value)
    for name, new in edits:
        if name == "*":
            result = new
        elif isinstance(result, dict):
            result[name] = new
    return result


def with_changes(base: dict[str, Any], values: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``base`` with zero to two of its fields (or all of it) changed to values drawn from ``values``."""
    fields = st.sampled_from([*values, "*"])
    pick = fields.flatmap(lambda name: st.tuples(st.just(name), values.get(name, JSON)))
    some = st.lists(pick, min_size=1, max_size=2).map(tuple)
    return mostly((), some).map(lambda edits: changed(base, edits))


# -- the answer around the data --

LOCATIONS = st.sampled_from(
    [
        "same",
        "other-path",
        "absolute",
        "scheme-relative",
        "relative",
        "other-origin",
        "closed-port",
        "ftp",
        "empty",
        "broken",
    ]
).map(Location)
RETRY_AFTER = st.sampled_from(
    [
        "0",
        "1",
        "-1",
        "1.5",
        "NaN",
        "inf",
        "-inf",
        "1e400",
        "99999999999999999999",
        "abc",
        "",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 99 Foo 2015 99:99:99 GMT",
        "Sun, 06 Nov 1994 08:49:37 +9999",
        "\xe9\xff",
    ]
)
HEADERS = st.one_of(
    RETRY_AFTER.map(lambda value: ("Retry-After", value)),
    st.sampled_from(
        [
            ("X-Junk", "\x80\xff"),
            ("Content-Type", "text/html"),
            ("Set-Cookie", "a=b; Path=/"),
            ("Transfer-Encoding", "identity"),
            ("Content-Encoding", "br"),
            ("Content-Encoding", "identity"),
        ]
    ),
    LOCATIONS.map(lambda location: ("Location", location)),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "",
        "text/html",
        "text/plain; charset=latin-1",
        "application/problem+json",
        "application/json; charset=utf-16",
        "application/json; charset=nonsense",
        "application/octet-stream",
    ]
)
GARBAGE = st.sampled_from(
    [
        b"",
        b" \r\n",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'\xef\xbb\xbf{"data": {}}',
        b'{"data": ',
        b"null",
        b'"data"',
        b'{"data": NaN}',
        b'{"data": 1e400}',
        b"\x1f\x8b\x08\x00",
        b"\xff\xfe{\x00}\x00",
        b"{'data': {}}",
        b'{"data": {}} trailing',
        b'{"data": {}}{"data": {}}',
        b'{"data": {"a": "\xff\xfe"}}',
        b"[" * 100_000,
        b"x" * 300_000,
    ]
)
ENVELOPE_FIELDS = st.sampled_from(["http_code", "response_code", "response_msg", "data", "junk"])
CHANGES = st.one_of(
    st.tuples(st.just("status"), st.just(429)),
    st.tuples(st.just("status"), st.sampled_from([429, 500, 503, 400, 401, 403, 404, 405, 409, 201, 204])),
    st.tuples(st.just("status"), st.integers(100, 999)),
    st.tuples(st.just("redirect"), st.tuples(st.sampled_from([301, 302, 303, 307, 308]), LOCATIONS)),
    st.tuples(st.just("header"), HEADERS),
    st.tuples(st.just("content_type"), CONTENT_TYPES),
    st.tuples(
        st.just("framing"),
        st.sampled_from(
            [
                "short",
                "long",
                "none",
                "chunked",
                "bad-chunked",
                "gzip",
                "bad-gzip",
                "gzip-bomb",
                "two-lengths",
            ]
        ),
    ),
    st.tuples(st.just("connection"), st.sampled_from(["close", "reset", "stall"])),
    st.tuples(
        st.just("status_line"),
        st.sampled_from(
            [
                "HTTP/1.1 2OO OK",
                "HTTP/9.9 200 OK",
                "HTTP/1.0 200 OK",
                "HTTP/1.1 200",
                "200 OK",
                "HTTP/1.1 -200 OK",
                "HTTP/1.1 20000 OK",
                "\x00\x01garbage",
                "",
            ]
        ),
    ),
    st.tuples(st.just("envelope"), st.tuples(ENVELOPE_FIELDS, ODD)),
    st.tuples(st.just("duplicate data"), JSON),
    st.tuples(
        st.just("body"), st.one_of(GARBAGE.map(Bytes), st.binary(max_size=24).map(Bytes), JSON.map(Json))
    ),
    st.tuples(st.just("cut"), st.integers(0, 400)),
)


def apply(answer: Answer, change: tuple[str, Any]) -> Answer:
    kind, value = change
    body = answer.body
    if kind == "status":
        return dataclasses.replace(answer, status=value)
    if kind == "redirect":
        status, location = value
        return dataclasses.replace(answer, status=status, headers=(*answer.headers, ("Location", location)))
    if kind == "header":
        return dataclasses.replace(answer, headers=(*answer.headers, value))
    if kind in ("content_type", "framing", "connection", "status_line"):
        return dataclasses.replace(answer, **{kind: value})
    if kind == "envelope" and isinstance(body, Json) and isinstance(body.value, dict):
        return dataclasses.replace(answer, body=Json({**body.value, value[0]: value[1]}))
    if kind == "duplicate data" and isinstance(body, Json) and isinstance(body.value, dict):
        return dataclasses.replace(answer, body=Json(Pairs((*body.value.items(), ("data", value)))))
    if kind == "body":
        return dataclasses.replace(answer, body=value)
    if kind == "cut" and isinstance(body, Json):
        return dataclasses.replace(answer, body=Cut(body, value))
    return answer


ENVELOPE = {"http_code": 200, "response_code": "SUCCESS", "response_msg": "Here you are."}


def envelope(data: Any) -> Json:
    """ClickSend's envelope around ``data`` (its repr shows only what differs)."""
    return Json({**ENVELOPE, "data": data})


def answers(data: st.SearchStrategy[Any]) -> st.SearchStrategy[Answer]:
    """A well-formed answer with ``data``, then zero to two changes to how it is sent."""
    edits = mostly((), st.lists(CHANGES, min_size=1, max_size=2).map(tuple))
    return st.builds(
        lambda data, edits: functools.reduce(apply, edits, Answer(body=envelope(data))), data, edits
    )


def plans(data: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Answer, ...]]:
    """The answers to the first, second… attempt of one request (the last one repeats)."""
    return st.lists(answers(data), min_size=1, max_size=3).map(tuple)


# -- send answers: entries built from the request's messages --

CUSTOM_MODES = (
    "missing",
    "null",
    "int",
    "float",
    "list",
    "dict",
    "bool",
    "next",
    "first",
    "upper",
    "nan",
)


@dataclass(frozen=True)
class Value:
    """A ``custom_string`` given as is."""

    value: Any


@dataclass(frozen=True, repr=False)
class EntryPlan(Compact):
    """How the answer's entry for one message looks."""

    status: Any = "SUCCESS"
    price: Any = "0.0770"
    custom: str | Value = "echo"
    extra: tuple[tuple[str, Any], ...] = ()

    def entry(self, index: int, message: Any, messages: list[Any]) -> dict[str, Any]:
        message = message if isinstance(message, dict) else {}
        own = message.get("custom_string")

        def custom_of(position: int) -> Any:
            other = messages[position % len(messages)] if messages else None
            return other.get("custom_string") if isinstance(other, dict) else None

        if isinstance(self.custom, Value):
            custom = self.custom.value
        else:
            custom = {
                "echo": own,
                "missing": MISSING,
                "null": None,
                "int": index,
                "float": 1.5,
                "list": [own],
                "dict": {"custom_string": own},
                "bool": True,
                "next": custom_of(index + 1),
                "first": custom_of(0),
                "upper": own.upper() if isinstance(own, str) else own,
                "nan": Raw("NaN"),
            }[self.custom]
        entry = {
            "to": message.get("to"),
            "body": message.get("body"),
            "from": "fuzz",
            "status": self.status,
            "message_price": self.price,
            "message_id": f"m-{index}",
            "message_parts": 1,
            "custom_string": custom,
        }
        entry.update(self.extra)
        return entry


@dataclass(frozen=True, repr=False)
class Entries(Deferred, Compact):
    """The answer's array of entries, one per message of the request, then mangled."""

    plans: tuple[EntryPlan, ...] = (EntryPlan(),)
    drop: frozenset[int] = frozenset()
    duplicate: frozenset[int] = frozenset()
    extra: tuple[Any, ...] = ()
    order: str = "same"

    def resolve(self, context: Context) -> Any:
        messages = context.messages
        entries: list[Any] = []
        for index, message in enumerate(messages):
            if index in self.drop:
                continue
            entry = self.plans[index % len(self.plans)].entry(index, message, messages)
            entries += [entry, entry] if index in self.duplicate else [entry]
        for extra in self.extra:
            entries.append(extra)
        if self.order == "reversed":
            entries.reverse()
        elif self.order == "rotated" and entries:
            entries = entries[1:] + entries[:1]
        return entries


ODD_CUSTOMS = st.one_of(st.sampled_from(CUSTOM_MODES), st.sampled_from(CUSTOM_MODES), JSON.map(Value))
ENTRY_PLANS = st.one_of(
    st.just(EntryPlan()),
    st.builds(
        EntryPlan, status=st.one_of(st.sampled_from(["INVALID_RECIPIENT", "QUEUED", "success", ""]), ODD)
    ),
    st.builds(EntryPlan, price=PRICES),
    st.builds(EntryPlan, custom=ODD_CUSTOMS),
    st.builds(
        EntryPlan,
        extra=st.lists(
            st.tuples(st.sampled_from(["message_parts", "to", "date", "list_id", "junk", "_currency"]), ODD),
            min_size=1,
            max_size=2,
        ).map(tuple),
    ),
    st.builds(EntryPlan, status=ODD, price=PRICES, custom=ODD_CUSTOMS),
)
"""An entry as it should be, or with one field (or three) odd."""
ENTRIES = st.builds(
    Entries,
    plans=st.lists(ENTRY_PLANS, min_size=1, max_size=3).map(tuple),
    drop=mostly(frozenset(), st.frozensets(st.integers(0, 9), min_size=1, max_size=3)),
    duplicate=mostly(frozenset(), st.frozensets(st.integers(0, 9), min_size=1, max_size=2)),
    extra=mostly(
        (),
        st.lists(
            st.one_of(
                JSON,
                st.builds(EntryPlan, custom=st.sampled_from(CUSTOM_MODES)).map(
                    lambda plan: plan.entry(0, {}, [])
                ),
                st.just(
                    Many(
                        {"status": "SUCCESS", "custom_string": "x", "message_price": "1"}, 5000, spliced=True
                    )
                ),
            ),
            min_size=1,
            max_size=2,
        ).map(tuple),
    ),
    order=mostly("same", st.sampled_from(["reversed", "rotated"])),
)
SEND_DATA = ENTRIES.flatmap(
    lambda entries: with_changes(
        {
            "total_price": "0.2310",
            "total_count": 3,
            "queued_count": 3,
            "messages": entries,
            "_currency": {"currency_name_short": "AUD", "currency_prefix_d": "$"},
        },
        {"total_price": PRICES, "total_count": ODD, "queued_count": ODD, "messages": ODD, "_currency": ODD},
    )
)
SEND_PLANS = plans(SEND_DATA)

ACCOUNT_DATA = with_changes(
    {
        "user_id": 1,
        "username": "fuzz-user",
        "user_email": "fuzz@example.com",
        "balance": "10.5000",
        "active": 1,
        "banned": 0,
        "_currency": {"currency_name_short": "AUD"},
    },
    {
        "user_id": st.one_of(HUGE, ODD),
        "username": ODD,
        "balance": PRICES,
        "active": ODD,
        "banned": ODD,
        "_currency": ODD,
        "settings": ODD,
    },
)
DELETE_DATA = mostly((), ODD)

# -- pages --


@dataclass(frozen=True)
class Contact(Deferred):
    """The ``position``-th contact of the page asked for."""

    position: int

    def resolve(self, context: Context) -> Any:
        return {
            "contact_id": context.page * 100 + self.position,
            "list_id": 1,
            "phone_number": f"+614111{context.page:03d}{self.position:02d}",
            "first_name": "Fuzz",
            "date_added": "1700000000",
        }


CONTACTS = mostly(
    (Contact(0), Contact(1)),
    st.one_of(
        st.lists(
            st.one_of(
                st.integers(0, 5).map(Contact),
                with_changes(
                    {"contact_id": 1, "list_id": 1, "phone_number": "+61411111111"},
                    {
                        "contact_id": ODD,
                        "list_id": ODD,
                        "phone_number": ODD,
                        "date_added": ODD,
                        "custom_1": ODD,
                    },
                ),
            ),
            max_size=3,
        ).map(tuple),
        JSON,
        st.just(MISSING),
    ),
)
"""A page's items: two good contacts, or a few odd ones, or anything (big values come as changes)."""
ODD_PAGE_NUMBERS = st.one_of(
    st.sampled_from([None, "x", "2", 2.5, -1, 0, Raw("NaN"), MISSING]), st.integers(-3, 12)
)


def page_data(
    current: Any, last: Any, numbers: st.SearchStrategy[Any], odd: st.SearchStrategy[Any] = ODD
) -> st.SearchStrategy[Any]:
    """A page of two contacts that says it is page ``current`` of ``last``; then changed."""
    return CONTACTS.flatmap(
        lambda contacts: with_changes(
            {
                "total": 6,
                "per_page": 2,
                "current_page": current,
                "last_page": last,
                "next_page_url": None,
                "prev_page_url": None,
                "from": 1,
                "to": 2,
                "data": contacts,
            },
            {
                "current_page": numbers,
                "last_page": numbers,
                "data": odd,
                "total": odd,
                "per_page": odd,
                "from": odd,
                "next_page_url": odd,
            },
        )
    )


PAGE_DATA = st.integers(1, 6).flatmap(
    lambda last: page_data(
        Asked(0), last, st.one_of(st.just(Asked(1)), st.just(Asked(-1)), ODD_PAGE_NUMBERS, HUGE, ODD)
    )
)
"""One of the first pages: it is the page asked for, of up to 6 (or says anything else)."""
TAIL_PAGES = st.sampled_from(
    [
        (Asked(0), Asked(0)),  # the last page
        (Asked(0), Asked(1)),  # there is always one more
        (1, 6),  # stuck on page 1
        (Asked(-1), Asked(1)),  # one behind
        (Asked(1), Asked(2)),  # one ahead
        (Asked(0), 2),  # past the last
        (None, None),
        ("x", MISSING),
    ]
)
TAIL_PAGE_DATA = TAIL_PAGES.flatmap(
    lambda numbers: page_data(
        numbers[0],
        numbers[1],
        st.one_of(st.just(Asked(1)), st.just(Asked(-1)), ODD_PAGE_NUMBERS),
        st.one_of(JSON, st.just(MISSING)),
    )
)
"""A page beyond those: the last, one more for ever, stuck, behind, ahead…, never one saying that the
list is long (an honest pager would walk it, and that is no hang)."""


# ---- running examples ----


class Hang(Exception):
    """An example that did not finish in time."""


def _await_chain(task: asyncio.Task[Any]) -> list[str]:
    """Where a task waits: its coroutine and those it awaits, innermost last."""
    lines = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None)
        frame = frame or getattr(awaited, "gi_frame", None)
        if frame is not None:
            lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaited = (
            getattr(awaited, "cr_await", None)
            or getattr(awaited, "ag_await", None)
            or getattr(awaited, "gi_yieldfrom", None)
        )
    return lines


def _stacks(loop: asyncio.AbstractEventLoop) -> str:
    return "\n".join(
        f"--- task {task.get_name()} ({task.get_coro()!r:.100}):\n" + "\n".join(_await_chain(task))
        for task in asyncio.all_tasks(loop)
    )


def _close(loop: asyncio.AbstractEventLoop) -> None:
    try:
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover, timeout=2))
        loop.run_until_complete(asyncio.wait([loop.create_task(loop.shutdown_asyncgens())], timeout=2))
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def _reported(contexts: list[dict[str, Any]]) -> str:
    lines = []
    for context in contexts[:5]:
        error = context.get("exception")
        where = "".join(traceback.format_exception(error)[-6:]) if isinstance(error, BaseException) else ""
        lines.append(f"{context.get('message')}: {error!r}\n{where}")
    return "\n".join(lines)


def run(example: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``example()`` in a fresh event loop; fail if it takes longer than ``EXAMPLE_TIMEOUT``, or if
    asyncio reports an error meanwhile (a task exception never retrieved, an unclosed session…)."""
    loop = asyncio.new_event_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:

        async def main() -> _T:
            return await example()

        task = loop.create_task(main(), name="example")
        loop.run_until_complete(asyncio.wait([task], timeout=EXAMPLE_TIMEOUT))
        if not task.done():
            stacks = _stacks(loop)
            task.cancel()
            loop.run_until_complete(asyncio.wait([task], timeout=2))
            ignored = "" if task.done() else "; it did not end when cancelled either"
            raise Hang(
                f"the example did not finish in {EXAMPLE_TIMEOUT} s{ignored}; its tasks were:\n{stacks}"
            )
        result = task.result()
    finally:
        _close(loop)
    assert not reported, f"asyncio reported {len(reported)} errors:\n{_reported(reported)}"
    return result


# ---- the server side of an example ----

_routes = itertools.count()


NOT_FOUND = Reply(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
MAX_REDIRECTS = 3
"""Same-origin redirects an operation that is safe to repeat may follow (README: Errors, Redirects)."""


@dataclass
class Exchange:
    request: Request
    key: Any
    """What the request is for (a batch, a page): its attempts are counted apart."""
    answer: Answer | None
    """``None``: a request to where the operation does not go, answered 404."""


@dataclass
class Script:
    """What the server answers one example, and what it was asked."""

    server: HostileServer
    method: str
    path: str
    plan_for: Callable[[Any], tuple[Answer, ...]]
    key: Callable[[Request], Any] = lambda request: None
    idempotent: bool = True
    """Whether the operation may be repeated, and so follow a same-origin redirect."""
    limit: int = RUNAWAY
    soft_limit: int | None = None
    """From this many requests on, every request is answered ``after`` (e.g. the last page): a list that
    goes on for ever ends there, and a client that does not stop runs into ``limit``."""
    after: Answer | None = None
    token: str = field(default_factory=lambda: f"x{next(_routes)}")
    log: list[Exchange] = field(default_factory=list)
    runaway: bool = False

    @property
    def base_url(self) -> str:
        return f"{self.server.base_url}/{self.token}/v3"

    def __enter__(self) -> Script:
        self.server.handlers[self.token] = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        del self.server.handlers[self.token]

    def __call__(self, request: Request) -> Reply:
        if len(self.log) >= self.limit:
            self.runaway = True
            return Reply(reset=True)
        if (request.port, request.method, request.path) != (
            self.server.port,
            self.method,
            f"/{self.token}/v3{self.path}",
        ):
            self.log.append(Exchange(request, None, None))
            return NOT_FOUND
        key = self.key(request)
        attempt = sum(1 for exchange in self.log if exchange.answer is not None and exchange.key == key)
        plan = self.plan_for(key)
        answer = plan[min(attempt, len(plan) - 1)]
        if self.soft_limit is not None and self.after is not None and len(self.log) >= self.soft_limit:
            answer = self.after
        self.log.append(Exchange(request, key, answer))
        return answer.reply(Context(request, self))

    def attempts(self) -> dict[Any, list[Answer]]:
        """The answers given to each key's requests, in order."""
        by_key: dict[Any, list[Answer]] = {}
        for exchange in self.log:
            if exchange.answer is not None:
                by_key.setdefault(exchange.key, []).append(exchange.answer)
        return by_key

    def check(self, *, max_retries: int | None = None) -> None:
        """The properties of what was asked; with ``max_retries``, of one call (made alone)."""
        if self.server.errors:
            raise self.server.errors.pop()
        assert not self.runaway, f"more than {self.limit} requests: the client does not stop"
        elsewhere = [exchange.request for exchange in self.log if exchange.answer is None]
        leaks = [request for request in elsewhere if request.port != self.server.port]
        assert not leaks, f"a redirect to another origin was followed: {leaks}"
        if not self.idempotent:
            for key, answered in self.attempts().items():
                for before, _ in itertools.pairwise(answered):
                    assert before.says_429, f"{key}: sent again after an answer that was not a 429: {before}"
            assert not elsewhere, f"a redirected send was followed: {elsewhere}"
            return
        strays = [
            request
            for request in elsewhere
            if request.method != self.method or not request.path.endswith("/elsewhere")
        ]
        assert not strays, f"requests to where no answer pointed: {strays}"
        if max_retries is None:
            return
        # One call alone: its requests in order are attempts, each followed by the redirects it took.
        hops = attempts = 0
        previous: Answer | None = None
        for exchange in self.log:
            if previous is not None and previous.redirects:
                hops += 1
                assert hops <= MAX_REDIRECTS, f"more than {MAX_REDIRECTS} redirects followed in a row"
            else:
                hops, attempts = 0, attempts + 1
            previous = exchange.answer
        assert attempts <= max_retries + 1, (
            f"{attempts} attempts for one call with max_retries={max_retries}, answered: "
            + ", ".join(
                f"{e.answer.status if e.answer else 404}/{e.answer.connection if e.answer else ''}"
                for e in self.log
            )
        )


# total: aiohttp 3.14 waits for ever on a 1xx status followed by a large body, deaf to sock_read; the
# SDK's default timeout has a total (60 s) for that, and so do these.
TIMEOUT = aiohttp.ClientTimeout(total=3, sock_connect=2, sock_read=READ_TIMEOUT)


def client(script: Script, **options: Any) -> AsyncClickSend:
    return AsyncClickSend(
        "fuzz-user",
        "fuzz-key",
        base_url=script.base_url,
        timeout=TIMEOUT,
        retry_policy=RetryPolicy(initial_backoff=0.001, max_backoff=0.002),
        **options,
    )


def recipient(index: int) -> str:
    return f"+614{index:08d}"


def batch_key(request: Request) -> tuple[Any, ...]:
    """A send's messages, by recipient (each input message has its own)."""
    return tuple(
        message.get("to") if isinstance(message, dict) else repr(message)
        for message in request_messages(request)
    )


def page_key(request: Request) -> str:
    return request.query.get("page", ["?"])[0]


# ---- fixtures ----


async def _no_sleep(*args: Any, **kwargs: Any) -> None:
    await asyncio.sleep(0)


class _AsyncioWithoutSleeping:
    """asyncio, but ``sleep`` only yields: the adaptive rate's pauses would make examples slow."""

    sleep = staticmethod(_no_sleep)

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


@pytest.fixture(scope="module", autouse=True)
def no_waiting() -> Iterator[None]:
    """Retry backoff and rate pacing do not wait (the conftest ``sleeps`` fixture is function-scoped)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aioclicksend._core.retry, "_sleep", _no_sleep)
        if hasattr(aioclicksend.bulk.rate, "asyncio"):
            patch.setattr(aioclicksend.bulk.rate, "asyncio", _AsyncioWithoutSleeping())
        yield


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    hostile.start()
    try:
        yield hostile
    finally:
        hostile.stop()


# ---- one operation of each kind ----

SEND_MESSAGES: list[SmsMessageParam] = [
    {"to": recipient(i), "body": f"hi {i}", "custom_string": f"c{i}"} for i in range(3)
]


@budget(150)
@given(plan=SEND_PLANS, count=st.integers(1, 3))
def test_send(server: HostileServer, plan: tuple[Answer, ...], count: int) -> None:
    note(f"plan = {plan!r}\ncount = {count}")
    with Script(server, "POST", "/sms/send", lambda key: plan, batch_key, idempotent=False) as script:

        async def example() -> None:
            async with client(script) as cs:
                try:
                    result = await cs.sms.send(messages=SEND_MESSAGES[:count])
                except ClickSendError as error:
                    event(f"raised {type(error).__name__}")
                    return
                event("returned")
                assert isinstance(result, models.SmsSendResult)

        run(example)
    script.check()


@budget(150)
@given(plan=plans(ACCOUNT_DATA))
def test_get(server: HostileServer, plan: tuple[Answer, ...]) -> None:
    note(f"plan = {plan!r}")
    with Script(server, "GET", "/account", lambda key: plan) as script:

        async def example() -> None:
            async with client(script) as cs:
                try:
                    result = await cs.account.get()
                except ClickSendError as error:
                    event(f"raised {type(error).__name__}")
                    return
                event("returned")
                assert isinstance(result, models.Account)

        run(example)
    script.check(max_retries=2)


@budget(150)
@given(plan=plans(DELETE_DATA))
def test_delete(server: HostileServer, plan: tuple[Answer, ...]) -> None:
    note(f"plan = {plan!r}")
    with Script(server, "DELETE", "/lists/1", lambda key: plan) as script:

        async def example() -> None:
            async with client(script) as cs:
                try:
                    await cs.contact_lists.delete(list_id=1)
                except ClickSendError as error:
                    event(f"raised {type(error).__name__}")
                    return
                event("returned")

        run(example)
    script.check(max_retries=2)


PAGE_ARGUMENTS = mostly(
    {},
    st.fixed_dictionaries(
        {},
        optional={"page": st.sampled_from([1, 2, 3, 0, -1]), "limit": st.sampled_from([1, 2, 100, 0, 101])},
    ),
)


@budget(150)
@given(plan=plans(PAGE_DATA), arguments=PAGE_ARGUMENTS)
def test_list_one_page(server: HostileServer, plan: tuple[Answer, ...], arguments: dict[str, Any]) -> None:
    note(f"plan = {plan!r}\narguments = {arguments!r}")
    with Script(server, "GET", "/lists/1/contacts", lambda key: plan, page_key) as script:

        async def example() -> None:
            async with client(script) as cs:
                try:
                    page = await cs.contacts.list(list_id=1, **arguments)
                except ClickSendError as error:
                    event(f"raised {type(error).__name__}")
                    return
                event("returned")
                assert isinstance(page, Page)

        run(example)
    script.check(max_retries=2)


@dataclass(frozen=True, repr=False)
class Walk(Compact):
    pages: tuple[tuple[Answer, ...], ...]
    """The answers for pages 1, 2…"""
    tail: tuple[Answer, ...]
    """The answers for any later page."""
    how: str
    """``async for`` over the pager, ``items(prefetch=n)``, or ``pages(prefetch=n)``."""
    prefetch: int
    stop_after: int | None
    """Break out of the loop after that many items (or pages)."""
    start: int | None
    max_pages: int | None
    """For ``items`` and ``pages``: stop after that many pages (``None``: the default, 10 000)."""

    def plan_for(self, key: Any) -> tuple[Answer, ...]:
        number = int(key) if isinstance(key, str) and key.isdigit() else 0
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else self.tail


WALKS = st.builds(
    Walk,
    pages=st.lists(plans(PAGE_DATA), max_size=6).map(tuple),
    tail=plans(TAIL_PAGE_DATA),
    how=st.sampled_from(["async for", "items", "pages"]),
    prefetch=st.sampled_from([2, 0, 1, 3]),
    stop_after=st.one_of(st.none(), st.integers(1, 8)),
    start=st.sampled_from([None, 2]),
    max_pages=st.sampled_from([None, 1, 3, 10]),
)
LAST_PAGE = Answer(body=envelope({"current_page": Asked(0), "last_page": Asked(0), "data": [Contact(0)]}))
"""What a walk is answered after ``RUNAWAY`` requests: an honest walk of a list that goes on for ever
(which the pager follows up to ``max_pages``, by design) ends there."""
SAME_PAGE_LIMIT = 2 * 3 * (1 + MAX_REDIRECTS)
"""Requests for one page in one walk: 3 attempts (max_retries=2), each sent twice by aiohttp when the
connection drops, each followed by up to 3 redirects. More: the walk goes round in circles."""


@budget(150)
@given(walk=WALKS)
def test_list_every_page(server: HostileServer, walk: Walk) -> None:
    note(f"walk = {walk!r}")
    with Script(
        server,
        "GET",
        "/lists/1/contacts",
        walk.plan_for,
        page_key,
        limit=3 * RUNAWAY,
        soft_limit=RUNAWAY,
        after=LAST_PAGE,
    ) as script:

        async def example() -> None:
            async with client(script) as cs:
                start: dict[str, Any] = {} if walk.start is None else {"page": walk.start}
                pager = cs.contacts.list(list_id=1, **start)
                iterator: Any
                options = {} if walk.max_pages is None else {"max_pages": walk.max_pages}
                if walk.how == "async for":
                    iterator = aiter(pager)
                elif walk.how == "items":
                    iterator = pager.items(prefetch=walk.prefetch, **options)
                else:
                    iterator = pager.pages(prefetch=walk.prefetch, **options)
                seen = 0
                try:
                    async for _ in iterator:
                        seen += 1
                        if walk.stop_after is not None and seen >= walk.stop_after:
                            break
                except ClickSendError as error:
                    event(f"raised {type(error).__name__}")
                finally:
                    await iterator.aclose()
                event(f"{min(seen, 10)} items or pages seen (10: 10 or more)")

        run(example)
    script.check()
    asked = collections.Counter(exchange.key for exchange in script.log if exchange.answer is not None)
    circles = {page: count for page, count in asked.items() if count > SAME_PAGE_LIMIT}
    assert not circles, f"pages asked for again and again: {circles}"
    if walk.max_pages is not None and walk.how != "async for":
        assert len(asked) <= walk.max_pages, f"{len(asked)} pages read with max_pages={walk.max_pages}"


# ---- bulk ----

MESSAGE_KINDS = ("plain", "own", "same", "no-body", "not-a-mapping", "too-long")
KINDS = st.integers(0, 20).flatmap(
    lambda count: st.lists(mostly("plain", st.sampled_from(MESSAGE_KINDS)), min_size=count, max_size=count)
)
"""Up to 20 messages, most of them plain."""
INVALID_KINDS = {"no-body", "not-a-mapping", "too-long"}


def bulk_message(index: int, kind: str) -> Any:
    message = {"to": recipient(index), "body": f"hi {index}"}
    if kind == "own":
        message["custom_string"] = f"own-{index}"
    elif kind == "same":
        message["custom_string"] = "same"
    elif kind == "no-body":
        del message["body"]
    elif kind == "not-a-mapping":
        return index
    elif kind == "too-long":
        message["body"] = "a" * 919
    return message


@dataclass(frozen=True, repr=False)
class BulkCase(Compact):
    kinds: tuple[str, ...]
    """One message per kind, in order."""
    batch_size: int
    concurrency: int
    max_retries: int | None
    plans: tuple[tuple[Answer, ...], ...]
    """A batch is answered by ``plans[its first message's index % len(plans)]``."""
    consume: str
    stop_after: int

    def plan_for(self, key: Any) -> tuple[Answer, ...]:
        first = key[0] if key else None
        index = int(first[-8:]) if isinstance(first, str) and first[-8:].isdigit() else 0
        return self.plans[index % len(self.plans)]


BULK_CASES = st.builds(
    BulkCase,
    kinds=KINDS.map(tuple),
    batch_size=st.integers(1, 8),
    concurrency=st.integers(1, 3),
    max_retries=st.sampled_from([None, 0, 1, 3]),
    plans=st.lists(SEND_PLANS, min_size=1, max_size=4).map(tuple),
    consume=st.sampled_from(["await", "iterate", "stop", "break", "with-break", "cancel"]),
    stop_after=st.integers(1, 20),
)


async def consume(job: Any, case: BulkCase, seen: list[Any]) -> BulkSummary | None:
    """Drive the job as ``case.consume`` says; the summary when awaited."""
    if case.consume == "await":
        summary: BulkSummary = await job
        return summary
    if case.consume == "with-break":
        async with job:
            async for outcome in job:
                seen.append(outcome)
                if len(seen) >= case.stop_after:
                    break
        return None
    if case.consume == "cancel":
        reached = asyncio.Event()

        async def reader() -> None:
            async for outcome in job:
                seen.append(outcome)
                if len(seen) >= case.stop_after:
                    reached.set()

        task = asyncio.create_task(reader(), name="reader")
        waiter = asyncio.create_task(reached.wait(), name="waiter")
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        task.cancel()
        [result] = await asyncio.gather(task, return_exceptions=True)
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise result
        return None
    async for outcome in job:
        seen.append(outcome)
        if len(seen) >= case.stop_after:
            if case.consume == "stop":
                job.stop()
            elif case.consume == "break":
                break
    if case.consume == "break":
        await job.aclose()
    return None


@budget(200)
@given(case=BULK_CASES)
def test_send_bulk(server: HostileServer, case: BulkCase) -> None:
    note(f"case = {case!r}")
    total = len(case.kinds)
    messages = [bulk_message(index, kind) for index, kind in enumerate(case.kinds)]
    seen: list[Any] = []
    escaped: list[ClickSendError] = []
    retries = 8 if case.max_retries is None else case.max_retries  # 8: the default
    limit = max(1, total) * (retries + 1)  # a request per batch and retry at most
    with Script(
        server, "POST", "/sms/send", case.plan_for, batch_key, idempotent=False, limit=limit
    ) as script:

        async def example() -> Any:
            async with client(script) as cs:
                options: dict[str, Any] = {"batch_size": case.batch_size, "concurrency": case.concurrency}
                if case.max_retries is not None:
                    options["max_retries"] = case.max_retries
                job = cs.sms.send_bulk(messages, tag="fz", timeout=TIMEOUT, **options)
                try:
                    awaited = await consume(job, case, seen)
                except ClickSendError as error:
                    escaped.append(error)
                    awaited = None
                return job, awaited

        job, awaited = run(example)
    summary = job.summary
    script.check()

    # Every message taken from the input has exactly one outcome.
    assert summary.finished, summary
    assert summary.settled == summary.handed_out <= total, summary
    indices = [outcome.index for outcome in seen]
    assert len(indices) == len(set(indices)), f"an index has more than one outcome: {sorted(indices)}"
    for outcome in seen:
        assert (outcome.kind is OutcomeKind.INVALID) == (case.kinds[outcome.index] in INVALID_KINDS), outcome
    if not escaped:
        if case.consume in ("await", "iterate") and summary.stopped is None:  # not stopped (e.g. on a 401)
            assert summary.handed_out == summary.settled == total, summary
        if case.consume == "await":
            assert awaited is summary
        if case.consume in ("iterate", "stop"):
            assert sorted(indices) == list(range(summary.handed_out)), sorted(indices)

    for kind in OutcomeKind:
        if getattr(summary, kind.value):
            event(f"some {kind.value}")
    if escaped:
        event(f"raised {type(escaped[0]).__name__}")
    if any(len(answered) > 1 for answered in script.attempts().values()):
        event("a batch was sent again after a 429")

    # No message went out in two batches, and no invalid one at all.
    batches_of: dict[Any, set[Any]] = {}
    for key in script.attempts():
        for to in key:
            batches_of.setdefault(to, set()).add(key)
    assert all(len(keys) == 1 for keys in batches_of.values()), f"a message in two batches: {batches_of}"
    invalid = {recipient(index) for index, kind in enumerate(case.kinds) if kind in INVALID_KINDS}
    assert not invalid & set(batches_of), f"invalid messages were sent: {invalid & set(batches_of)}"


# ---- hostile bulk input ----

HOSTILE_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30) | st.builds(
    "{}\ud83d{}".format, st.text(max_size=5), st.text(max_size=5)
)
"""Any code point, lone surrogates (category Cs) included, and often half an emoji's escape."""
HOSTILE_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELD = st.sampled_from(["to", "body", "from", "schedule", "custom_string", "list_id", "media_file"])
HOSTILE_MESSAGE = (
    st.dictionaries(FIELD | HOSTILE_TEXT | st.integers(), HOSTILE_VALUE, max_size=6)
    | st.fixed_dictionaries({"to": st.just("+61411111111"), "body": HOSTILE_TEXT})
    | HOSTILE_VALUE
)
BULK_SENDS = [operation for operation in OPERATIONS if operation.bulk is not None]


@budget(bounded=150)
@given(st.sampled_from(BULK_SENDS), st.lists(HOSTILE_MESSAGE, max_size=12))
def test_hostile_bulk_messages_are_sent_as_utf8_json_or_invalid(
    operation: Operation[Any], given: list[Any]
) -> None:
    """Whatever the messages, the checks never raise: each is valid (sent as UTF-8 JSON) or invalid."""
    assert operation.bulk is not None and operation.messages is not None
    checker = BatchChecker(
        operation.model(operation.bulk.item), operation.messages, allow_truncation=False, tag="fuzz"
    )
    valid, invalid = checker.check(range(len(given)), given)
    assert sorted([*valid.messages.indices, *(item.index for item in invalid)]) == list(range(len(given)))
    assert all(item.reason for item in invalid)
    sent = json.loads(b"[" + valid.json + b"]")  # (bytes: decoding them fails on anything not UTF-8)
    assert len(sent) == len(valid.messages.indices)
