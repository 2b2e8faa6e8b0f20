"""Thin message bus over aio-pika, plus an in-memory bus with the same semantics."""

from __future__ import annotations

from kakehashi.bus.api import (
    Bus,
    DeadLetterReport,
    DeadLetterSample,
    Handler,
    Poison,
    ProcessedLog,
    PublishFailed,
    QueueSpec,
    Retry,
    Unroutable,
)
from kakehashi.bus.memory import DeadLetter, MemoryBus
from kakehashi.bus.memory_broker import MemoryBroker
from kakehashi.bus.processed import MemoryProcessedLog
from kakehashi.bus.rabbit import RabbitBus
from kakehashi.contracts import routing

__all__ = [
    "Bus",
    "DeadLetter",
    "DeadLetterReport",
    "DeadLetterSample",
    "Handler",
    "MemoryBroker",
    "MemoryBus",
    "MemoryProcessedLog",
    "Poison",
    "ProcessedLog",
    "PublishFailed",
    "QueueSpec",
    "RabbitBus",
    "Retry",
    "Unroutable",
    "open_bus",
]


def open_bus(
    amqp_url: str | None,
    *,
    processed: ProcessedLog | None = None,
    exchange: str = routing.EXCHANGE,
) -> Bus:
    """A RabbitBus when a broker URL is given, else an in-memory bus (sandbox, tests).

    The bus is not connected yet: call `await bus.connect()`. Connection options travel in the
    URL query, e.g. `amqp://.../?reconnect_interval=1&heartbeat=30`.
    """
    if amqp_url:
        return RabbitBus(amqp_url, processed=processed, exchange=exchange)
    return MemoryBus(processed=processed, exchange=exchange)
