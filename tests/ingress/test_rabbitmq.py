"""Once on the real broker: a notification is confirmed into a queue before the 202."""

from __future__ import annotations

import aio_pika
import pytest

from kakehashi.bus import QueueSpec, RabbitBus
from kakehashi.contracts import GraphHint
from tests.ingress.support import SUB_ID, change_item, unwire, wire
from tests.support.rabbitmq import delete_topology

pytestmark = pytest.mark.rabbitmq


async def test_notification_reaches_a_rabbitmq_queue(aiohttp_client, amqp_url, unique_name):
    # A private exchange and queue: the fixed service queue names are not touched.
    exchange = f"{unique_name}.x"
    spec = QueueSpec(name=f"{unique_name}.graph-hints", bindings=("hint.graph",))
    bus = RabbitBus(amqp_url, exchange=exchange, reconnect_interval=0.2)
    w = await wire(bus, connect=False)
    admin = await aio_pika.connect(amqp_url)
    try:
        await bus.connect()
        await bus.declare([spec])
        client = await aiohttp_client(w.app())
        item = change_item(event_id="rabbit-ev")
        resp = await client.post("/webhooks/graph", json={"value": [item, item]})
        assert resp.status == 202
        channel = await admin.channel()
        queue = await channel.declare_queue(spec.name, passive=True)
        bodies = []
        while (message := await queue.get(fail=False)) is not None:
            bodies.append(message)
            await message.ack()
        hints = [GraphHint.from_bytes(m.body) for m in bodies]
        assert [h.event_id for h in hints] == ["rabbit-ev", "rabbit-ev"]
        assert {h.subscription_id for h in hints} == {SUB_ID}
        # Same notification, same id: the consumer's processed log drops the second copy.
        assert len({m.message_id for m in bodies}) == 1
        assert bodies[0].message_id == hints[0].message_id
    finally:
        await unwire(w)
        await delete_topology(await admin.channel(), [spec], exchange)
        await admin.close()
