"""What the in-memory bus lets a test or the sandbox see."""

from __future__ import annotations

from kakehashi.bus import MemoryBroker, MemoryBus, Poison, QueueSpec
from kakehashi.contracts import GaroonHint, Message
from tests.support.waiting import wait_until


async def test_sandbox_can_inspect_queues_and_dead_letters(unique_name: str) -> None:
    broker = MemoryBroker()
    producer, consumer = MemoryBus(broker=broker), MemoryBus(broker=broker)
    await producer.connect()
    await consumer.connect()
    spec = QueueSpec(name=unique_name, bindings=("hint.garoon",))
    await producer.declare([spec])
    sent = GaroonHint(tenant_id="t1", garoon_user="sato", event_id="9", action="delete")
    await producer.publish(sent)
    assert producer.depth(unique_name) == 1

    async def handler(message: Message) -> None:
        raise Poison("the Garoon event belongs to a facility, not a user")

    await consumer.consume(spec, handler)
    assert consumer.consumer_count(unique_name) == 1
    [dead] = await wait_until(lambda: consumer.dead_letters(unique_name), message="dead letter")
    assert dead.error == "Poison: the Garoon event belongs to a facility, not a user"
    assert dead.attempts == 1
    assert dead.routing_key == "hint.garoon"
    assert GaroonHint.from_bytes(dead.body) == sent
    assert consumer.depth(unique_name) == 0
    await consumer.close()
    await producer.close()
    assert consumer.consumer_count(unique_name) == 0
    assert not consumer.is_ready
