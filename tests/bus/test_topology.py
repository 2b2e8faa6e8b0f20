"""Topology as data: the queues a spec asks the broker for, and how retries pick a tier."""

from __future__ import annotations

import pytest

from kakehashi.bus import MemoryBus, QueueSpec, RabbitBus, open_bus, topology

SPEC = QueueSpec(
    name="translator.observed", bindings=("observed.*",), retry_delays=(1.0, 5.0, 30.0)
)


@pytest.mark.parametrize(
    ("attempt", "requested", "tier"),
    [
        (1, None, 0),
        (2, None, 1),
        (9, None, 2),  # beyond the last tier stays on the last
        (1, 4.0, 1),  # smallest tier that waits at least as long as asked
        (1, 5.0, 1),
        (1, 120.0, 2),  # longer than any tier: the longest
    ],
)
def test_retry_tier(attempt: int, requested: float | None, tier: int) -> None:
    assert topology.retry_tier(SPEC, attempt, requested) == tier


def test_declarations_route_retries_back_and_failures_to_the_dlq() -> None:
    decls = {d.name: d for d in topology.declarations(SPEC)}
    assert set(decls) == {
        "translator.observed",
        "translator.observed.dlq",
        "translator.observed.retry.0",
        "translator.observed.retry.1",
        "translator.observed.retry.2",
    }
    assert all(d.arguments["x-queue-type"] == "quorum" for d in decls.values())
    work = decls["translator.observed"]
    assert work.bindings == ("observed.*",)
    assert work.arguments["x-dead-letter-routing-key"] == "translator.observed.dlq"
    tier = decls["translator.observed.retry.1"]
    assert tier.arguments["x-message-ttl"] == 5000
    assert tier.arguments["x-dead-letter-exchange"] == ""
    assert tier.arguments["x-dead-letter-routing-key"] == "translator.observed"


def test_open_bus_picks_the_implementation_from_the_url() -> None:
    assert isinstance(open_bus(None), MemoryBus)
    assert isinstance(open_bus("amqp://guest:guest@127.0.0.1:5672/"), RabbitBus)
