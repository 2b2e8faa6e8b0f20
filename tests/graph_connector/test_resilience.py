"""Throttling storms, token expiry and lost answers: every command still completes once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kakehashi.contracts.messages import CommandOp, CommandOutcome
from kakehashi.graph_connector.metrics import GRAPH_THROTTLED
from kakehashi.graph_sim.errors import GraphError as SimGraphError
from tests.graph_connector.support import harness, next_monday, normalized
from tests.support.buses import BusKind, on_both_buses


@on_both_buses
async def test_a_429_storm_keeps_four_calls_per_mailbox_and_every_command_completes(
    bus_kind: BusKind,
) -> None:
    async with harness(bus_kind=bus_kind) as h:
        h.sim.set_switches(latency_ms=40)
        # Three answers of 429 with Retry-After: 1 on event writes, in the middle of the burst.
        h.sim.add_fault(r"/events$", method="POST", status=429, retry_after="1", count=3)
        throttled_before = GRAPH_THROTTLED._value.get()
        commands = [
            h.command(CommandOp.CREATE, event=normalized(f"Burst {i}", next_monday(), hour=8 + i))
            for i in range(10)
        ]
        await asyncio.gather(*(h.send(c) for c in commands))
        results = [await h.result_of(c, timeout=40) for c in commands]
        assert [r.outcome for r in results] == [CommandOutcome.OK] * 10
        assert len(h.mailbox()) == 10
        assert h.sim.stats()["maxConcurrencyPerMailbox"][h.sato.graph_user_id] <= 4
        log = h.sim.request_log
        throttled = [r for r in log if r["status"] == 429]
        assert len(throttled) == 3
        assert GRAPH_THROTTLED._value.get() - throttled_before == 3
        for hit in throttled:  # the same request again, not before Retry-After
            retry = next(
                r for r in log if r["clientRequestId"] == hit["clientRequestId"] and r is not hit
            )
            assert retry["time"] - hit["time"] >= 0.95


async def test_the_simulators_concurrency_limit_is_never_hit() -> None:
    async with harness() as h:
        h.sim.set_switches(latency_ms=30)
        commands = [
            h.command(CommandOp.CREATE, event=normalized(f"N {i}", next_monday(), hour=8 + i))
            for i in range(8)
        ]
        await asyncio.gather(*(h.send(c) for c in commands))
        for c in commands:
            assert (await h.result_of(c)).outcome == CommandOutcome.OK
        assert h.sim.stats()["throttled429"] == 0
        assert 1 <= h.sim.stats()["maxConcurrencyPerMailbox"][h.sato.graph_user_id] <= 4


@on_both_buses
async def test_token_expiry_mid_run(bus_kind: BusKind) -> None:
    async with harness(bus_kind=bus_kind) as h:
        one = h.command(CommandOp.CREATE, event=normalized("Before", next_monday()))
        await h.send(one)
        assert (await h.result_of(one)).outcome == CommandOutcome.OK
        h.sim.expire_tokens(h.sim_tenant)
        two = h.command(CommandOp.CREATE, event=normalized("After", next_monday(), hour=12))
        await h.send(two)
        assert (await h.result_of(two)).outcome == CommandOutcome.OK
        assert 401 in [r["status"] for r in h.sim.request_log]
        assert len(h.mailbox()) == 2


@on_both_buses
@pytest.mark.parametrize("duplicate", ["return_original", "conflict"])
async def test_a_create_whose_answer_was_lost_is_made_once(
    duplicate: str, bus_kind: BusKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with harness(bus_kind=bus_kind) as h:
        h.sim.set_switches(transaction_id_duplicate=duplicate)
        original = h.sim.calendar.create
        made: list[str] = []

        def create_then_lose_the_answer(*args: Any, **kwargs: Any) -> Any:
            ev, created = original(*args, **kwargs)
            made.append(ev.id)
            if len(made) == 1:  # created, but the gateway answers 504: outcome unknown
                raise SimGraphError(504, "GatewayTimeout", "The answer was lost.")
            return ev, created

        monkeypatch.setattr(h.sim.calendar, "create", create_then_lose_the_answer)
        cmd = h.command(CommandOp.CREATE, event=normalized("Exactly once", next_monday()))
        await h.send(cmd)
        result = await h.result_of(cmd, timeout=30)
        assert result.outcome == CommandOutcome.OK
        [event] = h.mailbox()
        assert result.target_id == event["id"]


async def test_a_slow_answer_that_times_out_is_made_once() -> None:
    """The client gives up on a slow POST and sends it again (same transactionId)."""
    async with harness(request_timeout=0.5) as h:
        h.sim.add_fault(r"/events$", method="POST", latency_ms=900, count=1)
        cmd = h.command(CommandOp.CREATE, event=normalized("Slow", next_monday()))
        await h.send(cmd)
        result = await h.result_of(cmd, timeout=30)
        assert result.outcome == CommandOutcome.OK
        assert len(h.mailbox()) == 1
