"""The in-memory bus: the RabbitBus semantics without a broker, for tests and the sandbox."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry import trace

from kakehashi.bus import dead_letters, metrics, pipeline, topology
from kakehashi.bus.api import DeadLetterReport, Handler, ProcessedLog, QueueSpec
from kakehashi.bus.memory_broker import Envelope, MemoryBroker, MemoryQueue
from kakehashi.bus.tracing import inject_headers, tracer
from kakehashi.contracts import Message, routing

log = logging.getLogger("kakehashi.bus")


@dataclass(frozen=True)
class DeadLetter:
    """A message parked in a dead-letter queue, with the error that put it there."""

    routing_key: str
    body: bytes
    headers: Mapping[str, object]
    error: str
    attempts: int


class _Delivery:
    def __init__(self, bus: MemoryBus, queue: MemoryQueue, envelope: Envelope) -> None:
        self._bus = bus
        self._queue = queue
        self._envelope = envelope
        self.settled = False
        self.lost = False  # the "connection" it came on is gone; the broker has requeued it

    @property
    def routing_key(self) -> str:
        return self._envelope.routing_key

    @property
    def body(self) -> bytes:
        return self._envelope.body

    @property
    def headers(self) -> Mapping[str, object]:
        return self._envelope.headers

    async def ack(self) -> None:
        if self.lost:
            log.warning("ack lost, message will be redelivered", extra={"queue": self._queue.name})
            return
        self.settled = True

    async def requeue(self) -> None:
        if not self.lost and not self.settled:
            self.settled = True
            self._queue.requeue(self._envelope)

    async def forward(self, queue: str, headers: dict[str, object]) -> None:
        envelope = Envelope(queue, self._envelope.body, headers, dict(self._envelope.properties))
        self._bus.broker.publish("", envelope)


class _Consumer:
    def __init__(self, bus: MemoryBus, spec: QueueSpec, handler: Handler) -> None:
        self.bus = bus
        self.spec = spec
        self.handler = handler
        self.queue = bus.broker.queues[spec.name]
        self.unacked: set[_Delivery] = set()
        # prefetch 0 means unlimited, as for basic.qos
        self._slots = asyncio.Semaphore(spec.prefetch if spec.prefetch > 0 else 2**31)
        self.queue.consumers += 1
        self.task = asyncio.create_task(self._dispatch(), name=f"bus-consumer-{spec.name}")

    async def _dispatch(self) -> None:
        try:
            while True:
                await self._slots.acquire()
                try:
                    envelope = await self.queue.get()
                except BaseException:
                    self._slots.release()
                    raise
                delivery = _Delivery(self.bus, self.queue, envelope)
                self.unacked.add(delivery)
                self.bus._track(asyncio.create_task(self._run(delivery)))
        finally:
            self.queue.consumers -= 1

    async def _run(self, delivery: _Delivery) -> None:
        try:
            await pipeline.handle_delivery(
                delivery,
                self.spec,
                self.handler,
                processed=self.bus.processed,
                tracer_provider=self.bus.tracer_provider,
            )
        finally:
            self._slots.release()
            self.unacked.discard(delivery)
            # A handler cancelled at close leaves its message unacked: back to the queue.
            if not delivery.settled and not delivery.lost:
                await delivery.requeue()

    def sever(self) -> None:
        """Like a dropped connection: stop delivering and return every unacked message."""
        self.task.cancel()
        for delivery in self.unacked:
            if not delivery.settled:
                delivery.lost = True
                self.queue.requeue(delivery._envelope)
        self.unacked.clear()


class MemoryBus:
    """Implements the Bus protocol in process; share a MemoryBroker to connect several buses."""

    def __init__(
        self,
        *,
        processed: ProcessedLog | None = None,
        exchange: str = routing.EXCHANGE,
        broker: MemoryBroker | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        drain_timeout: float = 30.0,
    ) -> None:
        self.broker = broker or MemoryBroker()
        self.processed = processed
        self.exchange = exchange
        self.tracer_provider = tracer_provider
        self.drain_timeout = drain_timeout
        self._connected = False
        self._consumers: list[_Consumer] = []
        self._inflight: set[asyncio.Task[None]] = set()

    @property
    def is_ready(self) -> bool:
        return self._connected

    async def connect(self) -> None:
        self.broker.declare_exchange(self.exchange)
        self._connected = True

    async def declare(self, specs: list[QueueSpec]) -> None:
        self.broker.declare_exchange(self.exchange)
        for spec in specs:
            for decl in topology.declarations(spec):
                self.broker.declare_queue(decl)
            for pattern in spec.bindings:
                self.broker.bind(self.exchange, spec.name, pattern)

    async def publish(self, message: Message, *, routing_key: str | None = None) -> None:
        key = routing_key or message.routing_key
        properties = {
            "message_id": message.message_id,
            "correlation_id": message.correlation_id,
            "content_type": "application/json",
            "type": key,
        }
        await self._publish(key, message.to_bytes(), {}, properties)

    async def publish_raw(
        self, routing_key: str, body: bytes, *, headers: Mapping[str, object] | None = None
    ) -> None:
        """Publish bytes as they are (for tests and tools: e.g. a body that will not decode)."""
        await self._publish(routing_key, body, dict(headers or {}), {})

    async def _publish(
        self, key: str, body: bytes, headers: dict[str, object], properties: dict[str, str]
    ) -> None:
        if not self._connected:
            raise RuntimeError("bus is not connected")
        started = time.perf_counter()
        with tracer(self.tracer_provider).start_as_current_span(
            f"{key} publish", kind=trace.SpanKind.PRODUCER
        ):
            inject_headers(headers)
            self.broker.publish(self.exchange, Envelope(key, body, headers, properties))
        metrics.PUBLISH_CONFIRM.observe(time.perf_counter() - started)
        metrics.PUBLISHED.labels(key).inc()

    async def consume(self, spec: QueueSpec, handler: Handler) -> None:
        await self.declare([spec])
        self._consumers.append(_Consumer(self, spec, handler))

    async def list_dead_letters(self, spec: QueueSpec, *, limit: int = 10) -> DeadLetterReport:
        found = self.broker.queues.get(spec.dead_letter_queue)
        items = list(found.items) if found else []
        return DeadLetterReport(
            spec.name,
            len(items),
            tuple(
                dead_letters.sample(
                    e.routing_key,
                    e.body,
                    e.headers,
                    message_id=e.properties.get("message_id"),
                    type_=e.properties.get("type"),
                )
                for e in items[: max(0, limit)]
            ),
        )

    async def replay_dead_letters(self, spec: QueueSpec, *, limit: int | None = None) -> int:
        if not self._connected:
            raise RuntimeError("bus is not connected")
        dlq = self.broker.queues.get(spec.dead_letter_queue)
        if dlq is None:
            return 0
        # Only what is there now: a letter that fails again must not be replayed in a loop.
        budget = len(dlq.items) if limit is None else min(limit, len(dlq.items))
        for _ in range(budget):
            head = dlq.items[0]
            headers = dead_letters.replay_headers(
                head.routing_key, head.headers, head.properties.get("type")
            )
            # Published first, removed after: an unroutable copy leaves the letter in place.
            self.broker.publish("", Envelope(spec.name, head.body, headers, dict(head.properties)))
            dlq.items.popleft()
        return budget

    async def stop_consuming(self) -> None:
        consumers, self._consumers = self._consumers, []
        for consumer in consumers:
            consumer.task.cancel()
        await asyncio.gather(*(c.task for c in consumers), return_exceptions=True)
        while self._inflight:
            await asyncio.wait(set(self._inflight))

    async def close(self) -> None:
        await pipeline.drain(self.stop_consuming, self._inflight, self.drain_timeout)
        self._connected = False

    def _track(self, task: asyncio.Task[None]) -> None:
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    # ------------------------------------------------------------ inspection (tests, sandbox)
    def depth(self, queue: str) -> int:
        """Messages ready in a queue (not counting unacked deliveries)."""
        found = self.broker.queues.get(queue)
        return len(found.items) if found else 0

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """What sits in `queue`'s dead-letter queue, oldest first, without removing it."""
        found = self.broker.queues.get(f"{queue}.dlq")
        return [
            DeadLetter(
                routing_key=str(e.headers.get(pipeline.ROUTING_KEY, e.routing_key)),
                body=e.body,
                headers=dict(e.headers),
                error=str(e.headers.get(pipeline.ERROR, "")),
                attempts=int(str(e.headers.get(pipeline.ATTEMPTS, 0))),
            )
            for e in (found.items if found else ())
        ]

    def consumer_count(self, queue: str) -> int:
        """Consumers attached to a queue, across every bus sharing the broker."""
        found = self.broker.queues.get(queue)
        return found.consumers if found else 0

    def in_flight(self) -> int:
        """Handlers running right now."""
        return len(self._inflight)

    def lose_consumer_connection(self) -> None:
        """Simulate a dropped consumer connection: unacked messages return to their queues,
        later acks from the still-running handlers are lost, and consuming stops."""
        consumers, self._consumers = self._consumers, []
        for consumer in consumers:
            consumer.sever()
