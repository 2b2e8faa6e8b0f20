"""Two translator replicas on ONE pair of queues, plus fake connectors, on either bus.

Queue and exchange names are unique per test, so runs sharing a broker never meet.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aio_pika

from kakehashi.bus import MemoryBroker, MemoryBus, QueueSpec, RabbitBus, topology
from kakehashi.bus.api import Bus
from kakehashi.contracts import Message
from kakehashi.contracts.messages import SyncCommand
from kakehashi.contracts.routing import BINDINGS, TRANSLATOR_OBSERVED, TRANSLATOR_RESULTS
from kakehashi.contracts.state import Mapping, SyncPolicy
from kakehashi.store import Store
from kakehashi.translator.translator import Translator
from tests.translator.conftest import new_store
from tests.translator.fakes import Sides

_FAST = {"retry_delays": (0.05, 0.2, 0.5), "max_attempts": 20}


class Cluster:
    def __init__(
        self, kind: str, name: str, amqp_url: str, policy: SyncPolicy | None = None
    ) -> None:
        self.kind, self.name, self.amqp_url = kind, name, amqp_url
        self.policy = policy
        self.exchange = f"{name}.x"
        self.broker = MemoryBroker()
        self.observed = QueueSpec(f"{name}.observed", BINDINGS[TRANSLATOR_OBSERVED], **_FAST)  # type: ignore[arg-type]
        self.results = QueueSpec(f"{name}.results", BINDINGS[TRANSLATOR_RESULTS], **_FAST)  # type: ignore[arg-type]
        self.commands = QueueSpec(f"{name}.commands", ("command.#",), **_FAST)  # type: ignore[arg-type]
        self.buses: list[Bus] = []
        self.stores: list[Store] = []
        self.sides = Sides()
        self.delivered: list[SyncCommand] = []  # every command the connectors received
        self.writes: list[tuple[str, int]] = []  # (mapping id, revision) in commit order
        self.publisher: Bus | None = None
        self._admin: aio_pika.abc.AbstractConnection | None = None

    async def _bus(self, store: Store) -> Bus:
        bus: Bus
        if self.kind == "memory":
            bus = MemoryBus(exchange=self.exchange, broker=self.broker, processed=store.processed)
        else:
            bus = RabbitBus(self.amqp_url, exchange=self.exchange, processed=store.processed)
        await bus.connect()
        self.buses.append(bus)
        return bus

    async def start(self, replicas: int = 2) -> None:
        for _ in range(replicas):
            # Each replica its own Store over the one (named, in-memory) database.
            store = await new_store(self.name, self.policy)
            self.stores.append(store)
            self._record_writes(store)
            bus = await self._bus(store)
            t = Translator(store, bus, lambda: datetime.now(UTC))
            await bus.consume(self.observed, t.on_observed_queue)
            await bus.consume(self.results, t.on_results_queue)
        connector = await self._bus(self.stores[0])
        await connector.consume(self.commands, self._connector(connector))
        self.publisher = connector

    def _record_writes(self, store: Store) -> None:
        repo = store.mappings
        cas, insert = repo.compare_and_set, repo.insert

        # No await between the write and the note, so notes are in commit order.
        async def noting_cas(mapping: Mapping, expected: int) -> bool:
            ok = await cas(mapping, expected)
            if ok:
                self.writes.append((mapping.id, expected + 1))
            return ok

        async def noting_insert(mapping: Mapping) -> None:
            await insert(mapping)
            self.writes.append((mapping.id, mapping.revision))

        repo.compare_and_set = noting_cas  # type: ignore[method-assign,assignment]
        repo.insert = noting_insert  # type: ignore[method-assign]

    def _connector(self, bus: Bus) -> Callable[[Message], Awaitable[None]]:
        async def handle(message: Message) -> None:
            assert isinstance(message, SyncCommand)
            self.delivered.append(message)
            answer = self.sides.apply(message)
            if answer is None:
                return
            result, echo = answer
            await bus.publish(result)
            if echo is not None:
                await bus.publish(echo)

        return handle

    async def publish(self, messages: list[Message]) -> None:
        assert self.publisher is not None
        for m in messages:
            await self.publisher.publish(m)

    async def mappings(self) -> list[Mapping]:
        store = self.stores[0]
        docs = await store.db.collection("mappings").find({})
        found = [await store.mappings.get(d["_id"]) for d in docs]
        return [m for m in found if m is not None]

    async def idle(self) -> bool:
        """No message waiting anywhere (work queues and retry tiers) and no handler running."""
        if any(b.in_flight() for b in self.buses):  # type: ignore[attr-defined]
            return False
        names = [
            d.name
            for s in (self.observed, self.results, self.commands)
            for d in topology.declarations(s)
            if not d.name.endswith(".dlq")
        ]
        for name in names:
            if await self._depth(name):
                return False
        return not any(b.in_flight() for b in self.buses)  # type: ignore[attr-defined]

    async def dead_letters(self) -> int:
        return sum(
            [
                await self._depth(s.dead_letter_queue)
                for s in (self.observed, self.results, self.commands)
            ]
        )

    async def _depth(self, queue: str) -> int:
        if self.kind == "memory":
            found = self.broker.queues.get(queue)
            return len(found.items) if found else 0
        if self._admin is None:
            self._admin = await aio_pika.connect(self.amqp_url)
        channel = await self._admin.channel()
        try:
            q = await channel.declare_queue(queue, passive=True)
            return int(q.declaration_result.message_count or 0)
        finally:
            await channel.close()

    async def close(self) -> None:
        for bus in self.buses:
            with contextlib.suppress(Exception):
                await bus.close()
        if self.kind == "memory":
            self.broker.close()
        else:
            conn = await aio_pika.connect(self.amqp_url)
            channel = await conn.channel()
            for spec in (self.observed, self.results, self.commands):
                for decl in topology.declarations(spec):
                    with contextlib.suppress(Exception):
                        await channel.queue_delete(decl.name)
            with contextlib.suppress(Exception):
                await channel.exchange_delete(self.exchange)
            await conn.close()
        if self._admin is not None:
            await self._admin.close()
        if self.stores:
            await self.stores[0].db.drop()
