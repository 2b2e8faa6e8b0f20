"""Removing a test's private exchange and queues from the real broker."""

from __future__ import annotations

from collections.abc import Iterable

import aio_pika

from kakehashi.bus import QueueSpec, topology


async def delete_topology(
    channel: aio_pika.abc.AbstractChannel, specs: Iterable[QueueSpec], exchange: str
) -> None:
    """Delete every queue the specs declared (retry tiers and dead letters too), then the
    exchange."""
    for spec in specs:
        for decl in topology.declarations(spec):
            await channel.queue_delete(decl.name)
    await channel.exchange_delete(exchange)


async def cleanup(amqp_url: str, specs: Iterable[QueueSpec], exchange: str) -> None:
    """`delete_topology` over a connection of its own."""
    admin = await aio_pika.connect(amqp_url)
    try:
        await delete_topology(await admin.channel(), specs, exchange)
    finally:
        await admin.close()
