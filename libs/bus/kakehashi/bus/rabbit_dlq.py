"""Dead letters on RabbitMQ: basic.get from `<queue>.dlq`, never a consumer on it.

Each call uses a short connection of its own: a passive declare of a queue that does not exist
closes the channel, which must not disturb the bus's robust channels, and whatever was fetched
but not acked goes back to the dead-letter queue when that connection closes (also on a crash).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import ChannelNotFoundEntity

from kakehashi.bus import dead_letters
from kakehashi.bus.api import (
    DeadLetterReport,
    DeadLetterSample,
    QueueSpec,
)

log = logging.getLogger("kakehashi.bus")


@asynccontextmanager
async def _dead_letter_queue(
    url: str, name: str, spec: QueueSpec
) -> AsyncIterator[AbstractQueue | None]:
    """The passively declared DLQ; None when it was never declared."""
    conn = await aio_pika.connect(url, client_properties={"connection_name": f"{name}-dlq"})
    try:
        channel = await conn.channel()
        try:
            queue = await channel.declare_queue(spec.dead_letter_queue, passive=True)
        except ChannelNotFoundEntity:
            yield None
        else:
            yield queue
    finally:
        await conn.close()


def copy_of(src: AbstractIncomingMessage, headers: dict[str, object]) -> aio_pika.Message:
    """A persistent copy of a delivered message (same body and ids) with other headers."""
    return aio_pika.Message(
        src.body,
        headers=headers,  # type: ignore[arg-type]
        content_type=src.content_type,
        message_id=src.message_id,
        correlation_id=src.correlation_id,
        type=src.type,
        timestamp=src.timestamp,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


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
        queue = found
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
    url: str,
    name: str,
    spec: QueueSpec,
    limit: int | None,
    publish: Callable[[aio_pika.Message], Awaitable[None]],
) -> int:
    """`publish` puts a copy straight onto the work queue (default exchange, confirmed), not
    through the topic exchange: other queues bound to the same key got their copy the first
    time. It raises Unroutable when the work queue does not exist."""
    async with _dead_letter_queue(url, name, spec) as found:
        if found is None:
            return 0
        queue = found
        # Only what is there now: a letter that fails again must not be replayed in a loop.
        budget = _count(queue) if limit is None else min(limit, _count(queue))
        replayed = 0
        while replayed < budget:
            incoming = await queue.get(no_ack=False, fail=False)
            if incoming is None:
                break
            headers = dead_letters.replay_headers(
                incoming.routing_key or "", incoming.headers or {}, incoming.type
            )
            await publish(copy_of(incoming, headers))
            # Acked only once the copy is confirmed: a crash in between duplicates, never loses.
            await incoming.ack()
            replayed += 1
        log.info("dead letters replayed", extra={"queue": spec.name, "count": replayed})
        return replayed
