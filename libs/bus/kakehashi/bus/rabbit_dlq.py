"""Dead letters on RabbitMQ: basic.get from `<queue>.dlq`, never a consumer on it.

Each call uses a short connection of its own: a passive declare of a queue that does not exist
closes the channel, which must not disturb the bus's robust channels, and whatever was fetched
but not acked goes back to the dead-letter queue when that connection closes (also on a crash).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import ChannelNotFoundEntity, DeliveryError, PublishError

from kakehashi.bus import dead_letters
from kakehashi.bus.api import (
    DeadLetterReport,
    DeadLetterSample,
    PublishFailed,
    QueueSpec,
    Unroutable,
)

log = logging.getLogger("kakehashi.bus")


@asynccontextmanager
async def _dead_letter_queue(
    url: str, name: str, spec: QueueSpec
) -> AsyncIterator[tuple[AbstractChannel, AbstractQueue] | None]:
    """A confirm channel and the passively declared DLQ; None when it was never declared."""
    conn = await aio_pika.connect(url, client_properties={"connection_name": f"{name}-dlq"})
    try:
        channel = await conn.channel(publisher_confirms=True, on_return_raises=True)
        try:
            queue = await channel.declare_queue(spec.dead_letter_queue, passive=True)
        except ChannelNotFoundEntity:
            yield None
        else:
            yield channel, queue
    finally:
        await conn.close()


def _count(queue: AbstractQueue) -> int:
    return int(queue.declaration_result.message_count or 0)


def _describe(incoming: AbstractIncomingMessage) -> DeadLetterSample:
    return dead_letters.sample(
        incoming.routing_key or "",
        incoming.body,
        incoming.headers or {},
        message_id=incoming.message_id,
        type_=incoming.type,
    )


async def list_dead_letters(url: str, name: str, spec: QueueSpec, limit: int) -> DeadLetterReport:
    async with _dead_letter_queue(url, name, spec) as found:
        if found is None:
            return DeadLetterReport(spec.name, 0)
        _channel, queue = found
        count = _count(queue)
        seen = []
        for _ in range(min(max(0, limit), count)):
            incoming = await queue.get(no_ack=False, fail=False)
            if incoming is None:
                break
            seen.append(_describe(incoming))
        # Not acked: closing the connection puts every fetched letter back.
        return DeadLetterReport(spec.name, count, tuple(seen))


async def replay_dead_letters(
    url: str, name: str, spec: QueueSpec, limit: int | None, publish_timeout: float
) -> int:
    async with _dead_letter_queue(url, name, spec) as found:
        if found is None:
            return 0
        channel, queue = found
        # Only what is there now: a letter that fails again must not be replayed in a loop.
        budget = _count(queue) if limit is None else min(limit, _count(queue))
        replayed = 0
        while replayed < budget:
            incoming = await queue.get(no_ack=False, fail=False)
            if incoming is None:
                break
            copy = aio_pika.Message(
                incoming.body,
                headers=dead_letters.replay_headers(  # type: ignore[arg-type]
                    incoming.routing_key or "", incoming.headers or {}, incoming.type
                ),
                content_type=incoming.content_type,
                message_id=incoming.message_id,
                correlation_id=incoming.correlation_id,
                type=incoming.type,
                timestamp=incoming.timestamp,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            # Straight to the work queue (default exchange), not through the topic exchange:
            # other queues bound to the same key got their copy the first time.
            try:
                async with asyncio.timeout(publish_timeout):
                    await channel.default_exchange.publish(copy, spec.name, mandatory=True)
            except PublishError as exc:
                raise Unroutable(f"work queue {spec.name!r} does not exist") from exc
            except (DeliveryError, TimeoutError) as exc:
                raise PublishFailed(f"replay to {spec.name!r} not confirmed: {exc!r}") from exc
            # Acked only once the copy is confirmed: a crash in between duplicates, never loses.
            await incoming.ack()
            replayed += 1
        log.info("dead letters replayed", extra={"queue": spec.name, "count": replayed})
        return replayed
