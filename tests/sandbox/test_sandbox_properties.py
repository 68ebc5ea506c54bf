"""Property-based: schemathesis generates requests from the spec and checks the running sandbox's answers.

Checked: no 5xx, every status and answer body as the spec documents, every valid request accepted and
every invalid one refused (the sandbox validates against the spec's JSON Schema). Not checked:
``ignored_auth`` (by design the sandbox takes any non-empty credentials) and the checks about methods the
spec does not list (aiohttp answers those 405).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from ..support import SPEC, sandbox_in_a_thread

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_dict(copy.deepcopy(SPEC))
# Credentials as schemathesis's own setting, not a header added at call time: then the cases it generates
# carry them, and negative_data_rejection does not count a header it dropped that the call put back.
schema.config.update(basic_auth=("property-user", "property-key"))


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The sandbox in a thread of its own (schemathesis calls it synchronously)."""
    with sandbox_in_a_thread() as server:
        yield server.base_url


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_sandbox_agrees_with_the_spec(case: schemathesis.Case[Any], sandbox_url: str) -> None:
    case.call_and_validate(base_url=sandbox_url, checks=CHECKS)
