"""The sandbox and the spec agree: every operation is routed and answers in the documented shape, and its
behaviours are registered by the operation table's ids."""

from __future__ import annotations

from typing import Any

import pytest

from aioclicksend import AsyncClickSend, NotFoundError, Page
from aioclicksend._core.operation import Operation
from aioclicksend.sandbox import SandboxServer
from aioclicksend.sandbox._behaviours import BY_ID, handlers

from .support import OPERATIONS, by_name, call_arguments, invoke


@pytest.mark.parametrize("method", OPERATIONS, ids=by_name)
async def test_every_operation_answers_as_the_spec_says(
    sandbox: tuple[SandboxServer, AsyncClickSend], method: Operation[Any]
) -> None:
    server, cs = sandbox
    kwargs, _, _ = call_arguments(method)
    try:
        result = await invoke(cs, method, kwargs)
    except NotFoundError:
        # A stateful item (a list, a contact, a template…) that was never created: the right answer.
        assert any(parameter.location == "path" for parameter in method.parameters)
    else:
        if method.paging is not None and method.paging.style == "page":
            assert isinstance(result, Page)
    assert server.counters.requests[method.id] >= 1


def test_behaviours_are_registered_by_the_tables_ids() -> None:
    registered = handlers()
    assert set(registered) <= set(BY_ID)
    for operation in OPERATIONS:
        if operation.bulk is not None:  # a bulk send, its history list (from the table) and a price
            assert {operation.id, operation.bulk.history.id} <= set(registered)
    assert len(registered) > 100
