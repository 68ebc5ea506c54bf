"""The sandbox's pushes: inbound SMS and delivery receipts sent to URLs, as ClickSend sends them.

A push goes to a URL rule's ``action_address`` (or to the URL a ``create_test`` names) in the rule's
``webhook_type`` (:func:`aioclicksend.webhooks.encode`), in a background task on the sandbox's loop. An
answer other than 200 within 30 seconds (or no answer) is retried every :attr:`Pushes.retry_interval`
seconds (ClickSend: 600), up to 10 times. Only loopback URLs are pushed to unless
:attr:`Pushes.allow_remote` says otherwise, so that the sandbox is nobody's relay.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from ..webhooks import encode, webhook

if TYPE_CHECKING:
    from ..webhooks import EncodedPush, Kind, WebhookType

__all__ = [
    "DEFAULT_RECEIPT_DELAY",
    "DEFAULT_RETRY_INTERVAL",
    "MAX_RETRIES",
    "PUSH_TIMEOUT",
    "PushAttempt",
    "Pushes",
]

logger = logging.getLogger("aioclicksend.sandbox")

DEFAULT_RETRY_INTERVAL = 600.0
"""ClickSend tries a push again every 10 minutes…"""
MAX_RETRIES = 10
"""…up to 10 times…"""
PUSH_TIMEOUT = 30.0
"""…whenever the URL does not answer 200 within 30 seconds."""
DEFAULT_RECEIPT_DELAY = 1.0
"""Seconds between a message falling due and its delivery receipt's push (a handset's answer takes time)."""


@dataclass(frozen=True, slots=True)
class PushAttempt:
    """One try at delivering a push: the answer's status, or why there was none."""

    url: str
    kind: str
    attempt: int
    """1 for the first try, 2 for the first retry…"""
    status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == 200


def is_loopback(host: str | None) -> bool:
    """Whether a URL's host is this machine: ``localhost`` (not ``*.localhost``, which a resolver may send
    to DNS) or a loopback address, also an IPv4 one mapped into IPv6."""
    if host is None or host.lower().removesuffix(".") == "localhost":
        return host is not None
    try:
        address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def push_fields(kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``kind``'s push (by ClickSend's names) taken from ``values``; none for those it lacks."""
    model = webhook(kind).model()
    names = (field.alias or name for name, field in model.model_fields.items())
    return {name: values.get(name) for name in names}


def url_rules(rules: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The enabled rules whose action is a push to their ``action_address``."""
    return [rule for rule in rules if rule.get("action") == "URL" and rule.get("enabled") in (1, "1", True)]


class Pushes:
    """The pushes one sandbox makes, and every attempt at them (:attr:`attempts`, oldest first).

    ``retry_interval``, ``receipt_delay`` and ``allow_remote`` may be changed while the sandbox runs; ``await
    pushes.settled()`` waits until every push begun is delivered or given up.
    """

    def __init__(
        self,
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        receipt_delay: float = DEFAULT_RECEIPT_DELAY,
        allow_remote: bool = False,
    ) -> None:
        self.retry_interval = retry_interval
        self.receipt_delay = receipt_delay
        self.allow_remote = allow_remote
        self.attempts: list[PushAttempt] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._session: aiohttp.ClientSession | None = None

    def send(
        self, kind: Kind, values: Mapping[str, Any], url: str, webhook_type: WebhookType | None = None
    ) -> None:
        """Push ``kind`` (its fields taken from ``values``) to ``url`` in the background."""
        refusal: str | None
        try:
            target = URL(url)
        except (ValueError, TypeError) as error:  # (a rule's address is the user's text)
            refusal = f"not a URL: {error}"
        else:
            refusal = None if self.allow_remote or is_loopback(target.host) else "not a loopback URL"
        if refusal is not None:
            logger.warning("refused to push %s to %s: %s", kind, url, refusal)
            self.attempts.append(PushAttempt(url, kind, 1, error=f"refused: {refusal}"))
            return
        task = asyncio.get_running_loop().create_task(
            self._deliver(kind, push_fields(kind, values), url, target, webhook_type or "post")
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send_to_rules(
        self, kind: Kind, values: Mapping[str, Any], rules: Iterable[Mapping[str, Any]]
    ) -> None:
        """Push ``kind`` to the address of each enabled URL rule of ``rules``, in the rule's format."""
        for rule in url_rules(rules):
            self.send(kind, values, str(rule.get("action_address")), rule.get("webhook_type"))

    def later(self, delay: float, push: Callable[[], None]) -> None:
        """Call ``push()`` (which sends pushes) in ``delay`` seconds, unless the sandbox stops first."""
        loop = asyncio.get_running_loop()

        def due() -> None:
            self._timers.discard(timer)
            push()

        timer = loop.call_later(max(delay, 0.0), due)
        self._timers.add(timer)

    async def settled(self) -> None:
        """Wait until every push begun (retries included) is delivered or given up; pushes still waiting
        for their time (a scheduled message's receipt) are not waited for."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel every push in hand or waiting, and close the HTTP session."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(
        self, kind: Kind, fields: dict[str, Any], url: str, target: URL, webhook_type: WebhookType
    ) -> None:
        try:
            push = encode(kind, fields, webhook_type)
        except ValueError as refused:  # (a WebhookError among them)
            logger.warning("could not push %s to %s: %s", kind, url, refused)
            self.attempts.append(PushAttempt(url, kind, 1, error=f"not encoded: {refused}"))
            return
        if push.query:  # the push's variables after the URL's own query (a fragment is not sent)
            target = target.with_fragment(None)
            target = URL(f"{target}{'&' if target.raw_query_string else '?'}{push.query}", encoded=True)
        for attempt in range(1, MAX_RETRIES + 2):
            if attempt > 1:
                await asyncio.sleep(self.retry_interval)
            status, error = await self._try(push, target)
            self.attempts.append(PushAttempt(url, kind, attempt, status, error))
            if status == 200:
                return
            logger.info("push of %s to %s failed (try %d): %s", kind, url, attempt, error or status)
        logger.warning("gave up pushing %s to %s after %d tries", kind, url, MAX_RETRIES + 1)

    async def _try(self, push: EncodedPush, target: URL) -> tuple[int | None, str | None]:
        """One request: the answer's status, or why there was none."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT))
        try:
            async with self._session.request(
                push.method, target, data=push.body or None, headers=push.headers, allow_redirects=False
            ) as answer:  # only its status counts: the body is not read (a hostile one may be endless)
                return answer.status, None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return None, f"{type(error).__name__}: {error}".rstrip(": ")
