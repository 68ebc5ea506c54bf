"""What the sandbox's APIs (ClickSend's and Kazoo's) share: a call as behaviours see it, the registry of
behaviours by operationId, and the route that hands a checked request to its behaviour.

Each API brings its dialect: a :class:`Call` subclass with its envelope (:meth:`Call.ok`) and what its
behaviours need (the store, the token…), how a request becomes a call (its auth, body and checks) and how
a refusal is answered. An operation of the table without a behaviour answers its documented example; a
behaviour for an operation the table lacks (an operation taken out of the spec) is left out, with a
warning, rather than stopping the sandbox from starting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from .._core.operation import Operation
from ._answers import Refusal
from ._openapi import documented

__all__ = ["Answer", "Call", "answer_as_documented", "registry", "route"]

logger = logging.getLogger("aioclicksend.sandbox")

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""What aiohttp calls for a route."""
CallT = TypeVar("CallT", bound="Call")
HandlerT = TypeVar("HandlerT")


@dataclass(kw_only=True)
class Call:
    """One checked request, as the behaviours see it; each API's subclass adds its own state."""

    request: web.Request
    operation: Operation[Any]
    path_values: dict[str, Any]
    query: dict[str, Any]
    body: dict[str, Any]
    """The JSON body as sent (checked against its schema)."""

    def ok(self, data: Any) -> web.Response:
        """``data`` answered in the API's envelope."""
        raise NotImplementedError

    def documented_data(self) -> Any:
        """A fresh copy of the documented answer's data."""
        return documented(self.operation).fresh_data()


def answer_as_documented(call: Call) -> web.Response:
    """The documented answer, with the request's path values in the fields of the same name."""
    data = call.documented_data()
    if isinstance(data, dict):
        data.update({name: value for name, value in call.path_values.items() if name in data})
    return call.ok(data)


def registry(
    api: str, table: Mapping[str, Operation[Any]], parts: Iterable[Mapping[str, HandlerT]]
) -> dict[str, HandlerT]:
    """The handlers of ``parts`` by operationId: an id given twice is a mistake of the sandbox's
    (ValueError); one the ``table`` lacks is left out with a warning."""
    registered: dict[str, HandlerT] = {}
    for part in parts:
        for operation_id, handler in part.items():
            if operation_id in registered:
                raise ValueError(f"the sandbox registers {api}'s {operation_id} twice")
            registered[operation_id] = handler
    for unknown in sorted(set(registered) - set(table)):
        logger.warning(
            "%s's table has no operation %s: the sandbox's behaviour for it is left out", api, unknown
        )
        del registered[unknown]
    return registered


def route(
    behaviour: Callable[[CallT], web.StreamResponse],
    prepare: Callable[[web.Request], Awaitable[CallT]],
    refused: Callable[[Refusal], web.Response],
) -> Answer:
    """An aiohttp handler: the request made a call by ``prepare`` (its auth and checks), then answered by
    the behaviour; a refusal on the way is answered in the API's shape (``refused``)."""

    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return behaviour(await prepare(request))
        except Refusal as refusal:
            return refused(refusal)

    return answer
