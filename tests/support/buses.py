"""The bus a component harness runs on: the in-memory bus, or the real RabbitMQ broker.

`on_both_buses` runs a test once per bus ([memory] and [rabbitmq]; the latter marked
`rabbitmq`). On the broker each run gets a private exchange and a queue-name prefix, so runs
never share queues, and every queue it declared (retry tiers and dead letters too) and the
exchange are deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

import aio_pika
import pytest

from kakehashi.bus import MemoryBus, MemoryProcessedLog, QueueSpec, RabbitBus
from kakehashi.bus.api import Bus
from tests.conftest import AMQP_URL
from tests.support.rabbitmq import cleanup

BusKind = Literal["memory", "rabbitmq"]

on_both_buses = pytest.mark.parametrize(
    "bus_kind", ["memory", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)]
)


@dataclass
class BusUnderTest:
    """A bus plus what a harness needs to name its queues and to remove them afterwards."""

    bus: Bus
    prefix: str = ""  # queue names start with it (empty on the in-memory bus)
    specs: list[QueueSpec] = field(default_factory=list)  # deleted afterwards (broker only)

    def own(self, spec: QueueSpec) -> QueueSpec:
        """`spec` under this run's prefix, remembered for the clean-up."""
        mine = dataclasses.replace(spec, name=f"{self.prefix}{spec.name}")
        if mine not in self.specs:
            self.specs.append(mine)
        return mine

    async def depth(self, spec: QueueSpec) -> int:
        """Messages ready in the queue of `spec`, as the broker reports them."""
        if isinstance(self.bus, MemoryBus):
            found = self.bus.broker.queues.get(spec.name)
            return len(found.items) if found else 0
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(spec.name, passive=True)
            return int(declared.declaration_result.message_count or 0)


@asynccontextmanager
async def bus_of(kind: BusKind = "memory") -> AsyncIterator[BusUnderTest]:
    """A bus of `kind` with a processed log (duplicates dropped, as in production)."""
    if kind == "memory":
        yield BusUnderTest(MemoryBus(processed=MemoryProcessedLog()))
        return
    name = f"t{uuid.uuid4().hex[:12]}"
    exchange = f"{name}.x"
    bus = RabbitBus(
        AMQP_URL, exchange=exchange, processed=MemoryProcessedLog(), reconnect_interval=0.2
    )
    chosen = BusUnderTest(bus, prefix=f"{name}.")
    try:
        yield chosen
    finally:
        await bus.close()
        await cleanup(AMQP_URL, chosen.specs, exchange)
