"""Refuse to start a sandbox on a RabbitMQ vhost another Kakehashi already consumes from.

Every sandbox declares the same exchange and queues: a second one on the same vhost would take
the first one's messages (and they its), each then failing on users it does not know.
"""

from __future__ import annotations

import contextlib

import aio_pika
from aiormq.exceptions import ChannelNotFoundEntity

from kakehashi.contracts.routing import BINDINGS


async def consumers_on(amqp_url: str) -> dict[str, int]:
    """Work queue -> consumer count, for the queues that exist and have consumers."""
    found: dict[str, int] = {}
    try:
        connection = await aio_pika.connect(amqp_url, timeout=5)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError):
        return found  # unreachable: the services' own start-up says so, in their words
    async with connection:
        for name in BINDINGS:
            # A passive declare of a missing queue closes its channel: one channel per queue.
            channel = await connection.channel()
            with contextlib.suppress(ChannelNotFoundEntity):
                queue = await channel.declare_queue(name, passive=True)
                count = queue.declaration_result.consumer_count or 0
                if count:
                    found[name] = count
            with contextlib.suppress(Exception):
                await channel.close()
    return found


def busy_message(busy: dict[str, int]) -> str:
    queues = ", ".join(f"{q} ({n})" for q, n in sorted(busy.items()))
    return (
        f"another Kakehashi is consuming on this RabbitMQ vhost ({queues}); two sandboxes on "
        "one vhost take each other's messages. Stop it, or give this one a vhost of its own: "
        "KAKEHASHI_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/<vhost> (docs/sandbox.md)"
    )
