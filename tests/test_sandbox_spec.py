"""The sandbox and the spec agree: every operation is routed and answers in the documented shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aioclicksend import AsyncClickSend, NotFoundError, Page
from aioclicksend.sandbox import SandboxServer
from aioclicksend.testing import clicksend_sandbox
from codegen.operations import Method

from .conftest import spec_methods
from .test_operations import call_arguments, invoke

METHODS = spec_methods()


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxServer, AsyncClickSend]]:
    async with clicksend_sandbox(max_retries=0) as pair:
        yield pair


@pytest.mark.parametrize("method", METHODS, ids=lambda method: method.qualified_name)
async def test_every_operation_answers_as_the_spec_says(
    sandbox: tuple[SandboxServer, AsyncClickSend], method: Method
) -> None:
    server, cs = sandbox
    kwargs, _, _ = call_arguments(method)
    try:
        result = await invoke(cs, method, kwargs)
    except NotFoundError:
        # A stateful item (a list, a contact, a template…) that was never created: the right answer.
        assert any(argument.location == "path" for argument in method.arguments)
    else:
        if method.paginated:
            assert isinstance(result, Page)
    assert server.counters.requests[method.operation_id] >= 1
