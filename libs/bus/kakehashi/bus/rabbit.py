"""The RabbitMQ bus over aio-pika: confirms, mandatory publishes, quorum queues, TTL retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import DeliveryError, PublishError
from opentelemetry import trace

from kakehashi.bus import metrics, pipeline, topology
from kakehashi.bus.api import (
    DeadLetterReport,
    Handler,
    ProcessedLog,
    PublishFailed,
    QueueSpec,
    Unroutable,
)
from kakehashi.bus.rabbit_dlq import copy_of, list_dead_letters, replay_dead_letters
from kakehashi.bus.tracing import inject_headers, tracer
from kakehashi.contracts import Message, routing

log = logging.getLogger("kakehashi.bus")
T = TypeVar("T")
CANCEL_TIMEOUT = 5.0


class _Delivery:
    def __init__(self, bus: RabbitBus, incoming: AbstractIncomingMessage) -> None:
        self._bus = bus
        self._incoming = incoming

    @property
    def routing_key(self) -> str:
        return self._incoming.routing_key or ""

    @property
    def body(self) -> bytes:
        return self._incoming.body

    @property
    def headers(self) -> Mapping[str, object]:
        return self._incoming.headers or {}

    async def ack(self) -> None:
        try:
            await self._incoming.ack()
        except Exception as exc:
            # The channel it came on is gone; the broker has requeued it and dedupe by
            # message id makes the redelivery harmless.
            log.warning("ack lost, message will be redelivered", extra={"error": repr(exc)})

    async def requeue(self) -> None:
        try:
            await self._incoming.nack(requeue=True)
        except Exception as exc:
            log.warning("nack lost, message will be redelivered", extra={"error": repr(exc)})

    async def forward(self, queue: str, headers: dict[str, object]) -> None:
        await self._bus._publish_confirmed("", queue, copy_of(self._incoming, headers))


class RabbitBus:
    """Implements the Bus protocol on RabbitMQ, with separate publish and consume connections."""

    def __init__(
        self,
        url: str,
        *,
        processed: ProcessedLog | None = None,
        exchange: str = routing.EXCHANGE,
        reconnect_interval: float | None = None,
        publish_timeout: float = 30.0,
        drain_timeout: float = 30.0,
        tracer_provider: trace.TracerProvider | None = None,
        name: str = "kakehashi",
    ) -> None:
        self._url = url
        self.processed = processed
        self.exchange = exchange
        self.reconnect_interval = reconnect_interval
        self.publish_timeout = publish_timeout
        self.drain_timeout = drain_timeout
        self.tracer_provider = tracer_provider
        self.name = name
        self._publish_conn: AbstractRobustConnection | None = None
        self._consume_conn: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractRobustChannel, AbstractQueue, str]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def is_ready(self) -> bool:
        return all(
            conn is not None and not conn.is_closed and conn.connected.is_set()
            for conn in (self._publish_conn, self._consume_conn)
        )

    async def _connect_one(self, role: str) -> AbstractRobustConnection:
        kwargs: dict[str, Any] = {"client_properties": {"connection_name": f"{self.name}-{role}"}}
        if self.reconnect_interval is not None:
            kwargs["reconnect_interval"] = self.reconnect_interval
        conn: AbstractRobustConnection = await aio_pika.connect_robust(self._url, **kwargs)
        return conn

    async def connect(self) -> None:
        # Separate connections: broker flow control on publishing must not stall consumer acks.
        self._publish_conn = await self._connect_one("publish")
        self._publish_channel = await self._publish_conn.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._publish_channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._consume_conn = await self._connect_one("consume")
        log.info("bus connected", extra={"exchange": self.exchange})

    async def declare(self, specs: list[QueueSpec]) -> None:
        conn = self._require(self._publish_conn)
        # A short-lived channel: a declaration the broker refuses closes only this channel,
        # and the robust connection does not keep replaying it.
        async with conn.channel() as channel:
            exchange = await channel.declare_exchange(
                self.exchange, aio_pika.ExchangeType.TOPIC, durable=True, robust=False
            )
            for spec in specs:
                for decl in topology.declarations(spec):
                    queue = await channel.declare_queue(
                        decl.name,
                        durable=True,
                        arguments=decl.arguments,
                        robust=False,
                    )
                    for pattern in decl.bindings:
                        await queue.bind(exchange, pattern, robust=False)

    async def publish(self, message: Message, *, routing_key: str | None = None) -> None:
        key = routing_key or message.routing_key
        headers: dict[str, object] = {}
        with tracer(self.tracer_provider).start_as_current_span(
            f"{key} publish", kind=trace.SpanKind.PRODUCER
        ):
            inject_headers(headers)
            amqp_message = aio_pika.Message(
                message.to_bytes(),
                headers=headers,  # type: ignore[arg-type]
                content_type="application/json",
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                type=key,
                timestamp=message.occurred_at,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await self._publish_confirmed(self.exchange, key, amqp_message)
        metrics.PUBLISHED.labels(key).inc()

    async def publish_raw(
        self, routing_key: str, body: bytes, *, headers: Mapping[str, object] | None = None
    ) -> None:
        """Publish bytes as they are (for tests and tools: e.g. a body that will not decode)."""
        amqp_message = aio_pika.Message(
            body,
            headers=dict(headers or {}),  # type: ignore[arg-type]
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._publish_confirmed(self.exchange, routing_key, amqp_message)

    async def _publish_confirmed(
        self, exchange_name: str, routing_key: str, message: aio_pika.Message
    ) -> None:
        """Publish and wait for the confirm, riding out a reconnect until the deadline.

        A retry after a lost confirm can duplicate the message; consumers dedupe by id.
        """
        if self._closed:
            raise RuntimeError("bus is closed")
        channel = self._require(self._publish_channel)
        exchange = self._require(self._exchange) if exchange_name else channel.default_exchange
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PublishFailed(f"no confirm for {routing_key!r} within the publish timeout")
            started = time.perf_counter()
            try:
                async with asyncio.timeout(remaining):
                    await channel.ready()
                    await exchange.publish(message, routing_key, mandatory=True)
            except PublishError as exc:
                raise Unroutable(f"no queue bound for {routing_key!r}") from exc
            except DeliveryError as exc:
                raise PublishFailed(f"broker refused {routing_key!r}: {exc}") from exc
            except TimeoutError as exc:
                raise PublishFailed(f"no confirm for {routing_key!r} in time") from exc
            except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
                log.warning(
                    "publish interrupted, retrying after reconnect",
                    extra={"routing_key": routing_key, "error": repr(exc)},
                )
                await asyncio.sleep(min(self.reconnect_interval or 1.0, max(0.0, remaining)))
                continue
            metrics.PUBLISH_CONFIRM.observe(time.perf_counter() - started)
            return

    async def consume(self, spec: QueueSpec, handler: Handler) -> None:
        await self.declare([spec])
        conn = self._require(self._consume_conn)
        # One channel per consumer: its prefetch is this consumer's alone (quorum queues
        # refuse global QoS), and the robust channel restores qos and consumer on reconnect.
        channel = await conn.channel()
        await channel.set_qos(prefetch_count=spec.prefetch)
        decl = topology.work_queue(spec)
        queue = await channel.declare_queue(
            decl.name,
            durable=True,
            arguments=decl.arguments,
        )

        async def on_message(incoming: AbstractIncomingMessage) -> None:
            # Our own task, not aio-pika's: a connection cut must not cancel a handler midway;
            # it finishes, its ack fails, and the redelivery is deduplicated.
            task = asyncio.create_task(self._run(spec, handler, incoming))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

        tag = await queue.consume(on_message)
        self._consumers.append((channel, queue, tag))
        log.info("consuming", extra={"queue": spec.name, "prefetch": spec.prefetch})

    async def _run(
        self, spec: QueueSpec, handler: Handler, incoming: AbstractIncomingMessage
    ) -> None:
        await pipeline.handle_delivery(
            _Delivery(self, incoming),
            spec,
            handler,
            processed=self.processed,
            tracer_provider=self.tracer_provider,
        )

    async def list_dead_letters(self, spec: QueueSpec, *, limit: int = 10) -> DeadLetterReport:
        self._require(self._publish_conn)  # same precondition as every other call
        return await list_dead_letters(self._url, self.name, spec, limit)

    async def replay_dead_letters(self, spec: QueueSpec, *, limit: int | None = None) -> int:
        self._require(self._publish_conn)
        return await replay_dead_letters(
            self._url,
            self.name,
            spec,
            limit,
            lambda msg: self._publish_confirmed("", spec.name, msg),
        )

    async def stop_consuming(self) -> None:
        consumers, self._consumers = self._consumers, []
        for channel, queue, tag in consumers:
            if channel.is_closed:
                continue  # nothing is delivered on a closed channel
            try:
                # Bounded: during a reconnect the cancel would wait for the broker. The robust
                # queue forgets the consumer first, so it is not restored on reconnect either.
                await asyncio.wait_for(queue.cancel(tag), CANCEL_TIMEOUT)
            except Exception as exc:
                log.warning(
                    "consumer cancel failed", extra={"queue": queue.name, "error": repr(exc)}
                )
        while self._inflight:
            await asyncio.wait(set(self._inflight))
        # Every ack is sent; closing the channels also detaches the cancelled quorum consumers.
        for channel, _queue, _tag in consumers:
            with contextlib.suppress(Exception):
                await channel.close()

    async def kill(self) -> None:
        """A crash, for tests and tools: the connections drop without cancelling consumers or
        draining, handlers in flight are cancelled where they stand, and whatever they had not
        acknowledged goes back to the queue for the next consumer."""
        self._consumers = []
        self._closed = True
        for conn in (self._consume_conn, self._publish_conn):
            if conn is not None and not conn.is_closed:
                with contextlib.suppress(Exception):
                    await conn.close()
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        log.warning("bus killed", extra={"exchange": self.exchange})

    async def close(self) -> None:
        await pipeline.drain(self.stop_consuming, self._inflight, self.drain_timeout)
        self._closed = True  # only now: draining handlers still publish (results, retries)
        for conn in (self._consume_conn, self._publish_conn):
            if conn is not None and not conn.is_closed:
                await conn.close()
        log.info("bus closed", extra={"exchange": self.exchange})

    @staticmethod
    def _require(value: T | None) -> T:
        if value is None:
            raise RuntimeError("bus is not connected; call connect() first")
        return value

    # ------------------------------------------------------------ inspection (tests, tools)
    @property
    def consume_connection(self) -> AbstractRobustConnection | None:
        """The consuming connection (tests close it to simulate a crashed consumer)."""
        return self._consume_conn

    def in_flight(self) -> int:
        """Handlers running right now."""
        return len(self._inflight)
