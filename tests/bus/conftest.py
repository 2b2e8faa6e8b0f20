"""One harness per bus implementation, so every test runs against memory and RabbitMQ alike."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest

from kakehashi.bus import MemoryBroker, MemoryBus, QueueSpec, RabbitBus
from kakehashi.bus.api import Bus
from tests.support.rabbitmq import delete_topology


@dataclass(frozen=True)
class Raw:
    """A message as it sits in a queue."""

    body: bytes
    headers: Mapping[str, Any]


class Harness:
    def __init__(self, kind: str, exchange: str, amqp_url: str) -> None:
        self.kind = kind
        self.exchange = exchange
        self.amqp_url = amqp_url
        self.broker = MemoryBroker()  # shared by the memory buses of one test
        self._buses: list[Bus] = []
        self._specs: list[QueueSpec] = []
        self._admin: aio_pika.abc.AbstractConnection | None = None

    async def bus(self, **kwargs: Any) -> Bus:
        """A connected bus; several buses of one test share the same broker."""
        bus: Bus
        if self.kind == "memory":
            bus = MemoryBus(exchange=self.exchange, broker=self.broker, **kwargs)
        else:
            url = kwargs.pop("url", self.amqp_url)
            kwargs.setdefault("reconnect_interval", 0.2)
            bus = RabbitBus(url, exchange=self.exchange, **kwargs)
        self._buses.append(bus)
        await bus.connect()
        return bus

    def spec(self, name: str, bindings: tuple[str, ...] = ("hint.garoon",), **kw: Any) -> QueueSpec:
        spec = QueueSpec(name=name, bindings=bindings, **kw)
        self._specs.append(spec)
        return spec

    async def cut_consumer(self, bus: Bus) -> None:
        """The consumer's connection dies with messages unacked (crash, network loss)."""
        if isinstance(bus, MemoryBus):
            bus.lose_consumer_connection()
        else:
            assert isinstance(bus, RabbitBus)
            assert bus.consume_connection is not None
            await bus.consume_connection.close()

    async def peek(self, queue: str) -> list[Raw]:
        """Messages ready in a queue, without consuming them."""
        if self.kind == "memory":
            found = self.broker.queues.get(queue)
            return [Raw(e.body, e.headers) for e in (found.items if found else ())]
        channel = await (await self._admin_connection()).channel()
        try:
            q = await channel.declare_queue(queue, passive=True)
            seen: list[Raw] = []
            while (message := await q.get(fail=False)) is not None:
                seen.append(Raw(message.body, dict(message.headers or {})))
            return seen
        finally:
            await channel.close()  # unacked gets go back to the queue

    async def dead_letters(self, spec: QueueSpec) -> list[Raw]:
        return await self.peek(spec.dead_letter_queue)

    async def depth(self, queue: str) -> int:
        """Messages ready in a queue (unacked deliveries not counted), as the broker reports."""
        if self.kind == "memory":
            found = self.broker.queues.get(queue)
            return len(found.items) if found else 0
        return (await self._counts(queue))[0]

    async def _counts(self, queue: str) -> tuple[int, int]:
        """(ready messages, consumers) as the broker reports them."""
        channel = await (await self._admin_connection()).channel()
        try:
            result = (await channel.declare_queue(queue, passive=True)).declaration_result
            return int(result.message_count or 0), int(result.consumer_count or 0)
        finally:
            await channel.close()

    async def _admin_connection(self) -> aio_pika.abc.AbstractConnection:
        if self._admin is None:
            self._admin = await aio_pika.connect(self.amqp_url)
        return self._admin

    async def cleanup(self) -> None:
        for bus in self._buses:
            with contextlib.suppress(Exception):
                await bus.close()
        if self.kind == "memory":
            self.broker.close()
            return
        channel = await (await self._admin_connection()).channel()
        await delete_topology(channel, self._specs, self.exchange)
        await channel.close()
        assert self._admin is not None
        await self._admin.close()


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def harness(
    request: pytest.FixtureRequest, unique_name: str, amqp_url: str
) -> AsyncIterator[Harness]:
    h = Harness(request.param, f"{unique_name}.x", amqp_url)
    try:
        yield h
    finally:
        await h.cleanup()
