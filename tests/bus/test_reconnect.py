"""A network cut between the services and RabbitMQ: consumers resume, nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from yarl import URL

from kakehashi.bus import RabbitBus
from kakehashi.contracts import GaroonHint, Message
from tests.bus.conftest import Harness
from tests.bus.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[TcpProxy]:
    target = URL(amqp_url)
    p = TcpProxy(target.host or "127.0.0.1", target.port or 5672)
    await p.start()
    yield p
    await p.close()


@pytest.fixture
async def rabbit(unique_name: str, amqp_url: str) -> AsyncIterator[Harness]:
    h = Harness("rabbitmq", f"{unique_name}.x", amqp_url)
    yield h
    await h.cleanup()


def hint(n: int) -> GaroonHint:
    return GaroonHint(tenant_id="t1", garoon_user="sato", event_id=str(n), action="edit")


async def test_consumer_resumes_after_a_network_cut_and_nothing_is_lost(
    proxy: TcpProxy, rabbit: Harness, unique_name: str, amqp_url: str
) -> None:
    url = str(URL(amqp_url).with_host("127.0.0.1").with_port(proxy.port))
    bus = await rabbit.bus(url=url, reconnect_interval=0.2, publish_timeout=15)
    assert isinstance(bus, RabbitBus)
    spec = rabbit.spec(unique_name, prefetch=4)
    received: set[str] = set()
    gate = asyncio.Event()

    async def handler(message: Message) -> None:
        await gate.wait()
        received.add(message.message_id)

    await bus.consume(spec, handler)
    before = [hint(i) for i in range(6)]
    for message in before:
        await bus.publish(message)
    # Cut mid-stream: four deliveries unacked in handlers, two still in the queue.
    await wait_until(lambda: bus.in_flight() == 4, message="handlers busy")

    await proxy.cut()
    await wait_until(lambda: not bus.is_ready, message="bus reports not ready")
    # Published while the link is down: publish waits for the reconnect, then confirms.
    during = [hint(i) for i in range(6, 9)]
    publishing = asyncio.gather(*(bus.publish(m) for m in during))
    await wait_until(lambda: proxy.refused >= 2, message="reconnect attempts refused")
    gate.set()  # the busy handlers finish now; their acks are lost with the old connection
    proxy.restore()
    await publishing

    await wait_until(lambda: bus.is_ready, timeout=10, message="bus ready again")
    after = [hint(i) for i in range(9, 12)]
    for message in after:
        await bus.publish(message)

    expected = {m.message_id for m in before + during + after}
    await wait_until(lambda: expected <= received, timeout=15, message="every message consumed")

    async def settled() -> bool:
        return bus.in_flight() == 0 and await rabbit.depth(unique_name) == 0

    ok: bool = await wait_until(settled, timeout=10, message="queue fully acked")
    assert ok


async def test_a_killed_bus_leaves_its_unacked_messages_to_the_next_consumer(
    rabbit: Harness, unique_name: str
) -> None:
    first = await rabbit.bus()
    assert isinstance(first, RabbitBus)
    spec = rabbit.spec(unique_name, prefetch=4)
    cancelled: list[str] = []
    never = asyncio.Event()

    async def stuck(message: Message) -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(message.message_id)
            raise

    await first.consume(spec, stuck)
    sent = [hint(i) for i in range(3)]
    for message in sent:
        await first.publish(message)
    await wait_until(lambda: first.in_flight() == 3, message="handlers busy")
    await first.kill()  # a crash: no cancel, no drain, handlers stopped where they stand
    assert first.in_flight() == 0
    assert sorted(cancelled) == sorted(m.message_id for m in sent)

    received: set[str] = set()

    async def handler(message: Message) -> None:
        received.add(message.message_id)

    second = await rabbit.bus()
    await second.consume(spec, handler)
    await wait_until(lambda: len(received) == 3, message="all three redelivered")
    assert received == {m.message_id for m in sent}
