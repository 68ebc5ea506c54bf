"""Bulk sends of 20 000 messages under faults: every message has exactly one outcome, none is sent twice.

After each job the sandbox's own counters say what it actually delivered; every ACCEPTED outcome must be
a delivery, every other outcome must not, and reconciling the UNKNOWN ones from the SMS history must
settle each of them the way the server did.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aioclicksend import AsyncClickSend, Outcome, OutcomeKind
from aioclicksend.sandbox import SandboxServer

MESSAGES = 20_000


def messages() -> Any:
    """Every 997th recipient is not a number, so ClickSend rejects it (INVALID_RECIPIENT)."""
    return ({"to": f"+614{i:08d}" if i % 997 else "bad", "body": f"hi {i}"} for i in range(MESSAGES))


async def assert_matches_server(
    server: SandboxServer, outcomes: list[Outcome[Any]], reconciled: list[Outcome[Any]]
) -> None:
    assert server.counters.duplicates() == {}
    assert sorted(outcome.index for outcome in outcomes) == list(range(MESSAGES))
    delivered = {key for _, key in server.counters.deliveries}
    final = {outcome.index: outcome for outcome in outcomes}
    unknown = {outcome.index for outcome in outcomes if outcome.kind is OutcomeKind.UNKNOWN}
    assert {outcome.index for outcome in reconciled} == unknown
    final.update({outcome.index: outcome for outcome in reconciled})
    for outcome in final.values():
        assert outcome.kind is not OutcomeKind.UNKNOWN
        assert (outcome.kind is OutcomeKind.ACCEPTED) == (outcome.custom_string in delivered), outcome
    accepted = sum(1 for outcome in final.values() if outcome.kind is OutcomeKind.ACCEPTED)
    assert accepted == len(delivered)


async def run(
    server: SandboxServer, cs: AsyncClickSend, **options: Any
) -> tuple[list[Outcome[Any]], list[Outcome[Any]], Any]:
    job = cs.sms.send_bulk(messages(), **options)
    outcomes = [outcome async for outcome in job]
    assert job.summary.handed_out == job.summary.settled == MESSAGES
    await asyncio.sleep(0.3)  # let answers that came late land first, as a real reconcile waits
    for name in ("error_rate", "error_after_rate", "drop_rate", "spike_rate"):
        setattr(server.faults, name, 0.0)
    server.faults.rate_limit = None
    reconciled = await job.reconcile()
    await assert_matches_server(server, outcomes, reconciled)
    return outcomes, reconciled, job.summary


async def test_429_storm(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.rate_limit = 6
    _, reconciled, summary = await run(server, cs, concurrency=8, batch_size=500)
    assert summary.throttled > 0 and server.counters.rate_limited == summary.throttled
    assert summary.unknown == summary.not_sent == 0 and not reconciled
    assert summary.accepted == len(server.counters.deliveries) == MESSAGES - MESSAGES // 997 - 1
    assert summary.rate_limit is not None and summary.rate_limit < 10  # it slowed to about the server's pace


async def test_ten_percent_5xx(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.error_rate = server.faults.error_after_rate = 0.05
    server.faults.seed = 5
    _, reconciled, summary = await run(server, cs, concurrency=8, batch_size=100)
    assert server.counters.injected_errors > 0
    assert summary.unknown == 100 * server.counters.injected_errors  # 5xx is never resent
    kinds = {outcome.kind for outcome in reconciled}
    assert kinds == {OutcomeKind.ACCEPTED, OutcomeKind.NOT_SENT}  # errors after and before processing


async def test_dropped_connections(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.drop_rate = 0.1
    server.faults.seed = 7
    _, reconciled, summary = await run(server, cs, concurrency=8, batch_size=250)
    assert server.counters.dropped > 0
    assert summary.unknown == 250 * server.counters.dropped
    assert any(outcome.kind is OutcomeKind.ACCEPTED for outcome in reconciled)


async def test_latency_spikes_beyond_the_timeout(sandbox: tuple[SandboxServer, AsyncClickSend]) -> None:
    server, cs = sandbox
    server.faults.spike_rate, server.faults.spike_ms = 0.15, 1600
    server.faults.seed = 11
    _, reconciled, summary = await run(server, cs, concurrency=8, batch_size=250, timeout=1.0)
    assert server.counters.spiked > 0
    assert summary.unknown == 250 * server.counters.spiked
    assert all("timed out" in (outcome.reason or "") for outcome in summary.unknown_outcomes)
    assert any(outcome.kind is OutcomeKind.ACCEPTED for outcome in reconciled)
