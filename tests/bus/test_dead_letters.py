"""Listing and replaying dead letters, on the in-memory bus and the real broker alike."""

from __future__ import annotations

import json

from kakehashi.bus import Poison, QueueSpec
from kakehashi.bus.api import Bus
from kakehashi.contracts import GaroonHint, Message
from tests.bus.conftest import Harness
from tests.support.waiting import wait_until


def hint(event_id: str) -> GaroonHint:
    return GaroonHint(tenant_id="t1", garoon_user="sato", event_id=event_id, action="edit")


async def _park(harness: Harness, bus: Bus, spec: QueueSpec, count: int) -> list[GaroonHint]:
    """Publish `count` hints and let a poisoning consumer dead-letter them all."""
    sent = [hint(str(i)) for i in range(count)]
    for message in sent:
        await bus.publish(message)

    async def refuse(message: Message) -> None:
        raise Poison("Garoon said the event is not a schedule")

    consumer = await harness.bus()
    await consumer.consume(spec, refuse)

    async def parked() -> bool:
        return len(await harness.dead_letters(spec)) == count

    await wait_until(parked, message=f"{count} dead letters")
    await consumer.stop_consuming()
    return sent


async def test_list_describes_without_removing(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name)
    await bus.declare([spec])
    sent = await _park(harness, bus, spec, 3)

    report = await bus.list_dead_letters(spec, limit=2)
    assert report.queue == unique_name
    assert report.count == 3
    assert len(report.sample) == 2
    first = report.sample[0]
    assert first.message_id in {m.message_id for m in sent}
    assert first.kind == "hint.garoon"
    assert first.routing_key == "hint.garoon"
    assert first.tenant_id == "t1"
    assert first.error == "Poison: Garoon said the event is not a schedule"
    assert first.attempts == 1
    assert first.dead_lettered_at
    # Looking twice changes nothing: every letter is still parked.
    again = await bus.list_dead_letters(spec, limit=10)
    assert again.count == 3
    assert {s.message_id for s in again.sample} == {m.message_id for m in sent}
    assert len(await harness.dead_letters(spec)) == 3


async def test_replay_moves_letters_back_with_attempts_reset(
    harness: Harness, unique_name: str
) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name)
    await bus.declare([spec])
    sent = await _park(harness, bus, spec, 3)

    assert await bus.replay_dead_letters(spec, limit=2) == 2
    assert len(await harness.dead_letters(spec)) == 1
    back = await harness.peek(unique_name)
    assert len(back) == 2
    for raw in back:
        assert json.loads(raw.body)["message_id"] in {m.message_id for m in sent}
        assert "x-kakehashi-attempts" not in raw.headers
        assert "x-kakehashi-error" not in raw.headers
        assert raw.headers["x-kakehashi-routing-key"] == "hint.garoon"

    # A fixed consumer now handles them, decoded under the original key, ids unchanged.
    received: list[Message] = []

    async def handler(message: Message) -> None:
        received.append(message)

    consumer = await harness.bus()
    await consumer.consume(spec, handler)
    assert await bus.replay_dead_letters(spec) == 1
    await wait_until(lambda: len(received) == 3, message="three replayed messages handled")
    assert sorted(m.message_id for m in received) == sorted(m.message_id for m in sent)
    assert (await bus.list_dead_letters(spec)).count == 0


async def test_empty_or_missing_dead_letter_queue(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    declared = harness.spec(unique_name)
    await bus.declare([declared])
    assert await bus.list_dead_letters(declared) == await bus.list_dead_letters(declared)
    assert (await bus.list_dead_letters(declared)).count == 0
    assert await bus.replay_dead_letters(declared) == 0
    never = QueueSpec(name=f"{unique_name}.never", bindings=())
    assert (await bus.list_dead_letters(never)).count == 0
    assert await bus.replay_dead_letters(never, limit=5) == 0
