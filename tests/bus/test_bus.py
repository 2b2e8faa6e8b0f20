"""Bus behaviour, run against the in-memory bus and the real broker alike."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aio_pika
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from yarl import URL

from kakehashi.bus import MemoryProcessedLog, Poison, RabbitBus, Retry, Unroutable
from kakehashi.contracts import GaroonHint, GraphHint, Message
from tests.bus.conftest import Harness, Raw
from tests.bus.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until


def hint(event_id: str = "1") -> GaroonHint:
    return GaroonHint(tenant_id="t1", garoon_user="sato", event_id=event_id, action="edit")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_publish_is_confirmed_then_consumed(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name)
    await bus.declare([spec])
    before = sample("kakehashi_bus_published_total", routing_key="hint.garoon")

    sent = hint()
    await bus.publish(sent)
    # publish returned after the confirm: the broker already holds the message.
    assert await harness.depth(unique_name) == 1
    assert sample("kakehashi_bus_published_total", routing_key="hint.garoon") == before + 1

    received: list[Message] = []

    async def handler(message: Message) -> None:
        received.append(message)

    await bus.consume(spec, handler)
    await wait_until(lambda: received, message="delivery")
    assert received == [sent]
    await wait_until(
        lambda: sample("kakehashi_bus_consumed_total", queue=unique_name, outcome="ok") == 1,
        message="ok counted",
    )
    assert await harness.depth(unique_name) == 0


async def test_unroutable_publish_raises_and_bus_stays_usable(
    harness: Harness, unique_name: str
) -> None:
    bus = await harness.bus()
    await bus.declare([harness.spec(unique_name)])
    with pytest.raises(Unroutable):
        await bus.publish(
            GraphHint(
                tenant_id="t1",
                subscription_id="s",
                user_id="u",
                event_id="e",
                change_type="updated",
            )
        )
    await bus.publish(hint())
    assert await harness.depth(unique_name) == 1


async def test_topic_wildcards_route_like_the_broker(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    one_word = harness.spec(f"{unique_name}.star", bindings=("hint.*",))
    any_words = harness.spec(f"{unique_name}.hash", bindings=("#.extra",))
    await bus.declare([one_word, any_words])

    await bus.publish(hint())
    await bus.publish(hint(), routing_key="hint.garoon.extra")
    with pytest.raises(Unroutable):
        await bus.publish(hint(), routing_key="hint.garoon.other")

    assert await harness.depth(one_word.name) == 1
    assert await harness.depth(any_words.name) == 1


async def test_always_failing_message_is_dead_lettered_with_its_error(
    harness: Harness, unique_name: str
) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name, max_attempts=3, retry_delays=(0.05,))
    calls: list[str] = []

    async def handler(message: Message) -> None:
        calls.append(message.message_id)
        raise ValueError("calendar API said no")

    await bus.consume(spec, handler)
    sent = hint()
    await bus.publish(sent)

    async def parked() -> list[Raw]:
        return await harness.dead_letters(spec)

    dead: list[Raw] = await wait_until(parked, message="dead letter")
    assert len(dead) == 1
    assert json.loads(dead[0].body)["message_id"] == sent.message_id
    assert dead[0].headers["x-kakehashi-attempts"] == 3
    assert dead[0].headers["x-kakehashi-error"] == "ValueError: calendar API said no"
    assert dead[0].headers["x-kakehashi-failed-at"]
    assert calls == [sent.message_id] * 3
    assert sample("kakehashi_bus_dead_lettered_total", queue=unique_name) == 1
    assert sample("kakehashi_bus_consumed_total", queue=unique_name, outcome="retried") == 2
    assert await harness.depth(unique_name) == 0


async def test_poison_and_undecodable_skip_retries(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name, max_attempts=5, retry_delays=(0.05,))
    calls = 0

    async def handler(message: Message) -> None:
        nonlocal calls
        calls += 1
        raise Poison("event no longer exists in either calendar")

    await bus.consume(spec, handler)
    await bus.publish(hint())
    await bus.publish_raw("hint.garoon", b"{not json")  # type: ignore[attr-defined]

    async def both_parked() -> list[Raw]:
        dead = await harness.dead_letters(spec)
        return dead if len(dead) == 2 else []

    dead: list[Raw] = await wait_until(both_parked, message="two dead letters")
    errors = sorted(str(d.headers["x-kakehashi-error"]) for d in dead)
    assert errors[0].startswith("Poison: event no longer exists")
    assert errors[1].startswith("ValidationError")
    assert all(d.headers["x-kakehashi-attempts"] == 1 for d in dead)
    assert calls == 1
    assert sample("kakehashi_bus_dead_lettered_total", queue=unique_name) == 2


async def test_retry_waits_for_its_delay_tier(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name, retry_delays=(0.3, 0.8))
    seen: list[float] = []

    async def handler(message: Message) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            raise Retry("Garoon is busy")  # attempt 1 -> tier 0
        if len(seen) == 2:
            raise Retry("still busy", delay=0.5)  # asks for 0.5 s -> smallest tier >= 0.5

    await bus.consume(spec, handler)
    await bus.publish(hint())
    await wait_until(lambda: len(seen) == 3, timeout=10, message="third attempt")
    assert seen[1] - seen[0] >= 0.3
    assert seen[2] - seen[1] >= 0.8
    assert await harness.dead_letters(spec) == []


async def test_consumer_dying_before_ack_loses_nothing(harness: Harness, unique_name: str) -> None:
    spec = harness.spec(unique_name)
    first = await harness.bus(drain_timeout=0.5)
    started = asyncio.Event()
    never = asyncio.Event()

    async def stuck(message: Message) -> None:
        started.set()
        await never.wait()

    await first.consume(spec, stuck)
    sent = hint()
    await first.publish(sent)
    await wait_until(started.is_set, message="first handler started")
    await harness.cut_consumer(first)

    received: list[Message] = []

    async def handler(message: Message) -> None:
        received.append(message)

    second = await harness.bus()
    await second.consume(spec, handler)
    await wait_until(lambda: received, message="redelivery to the new consumer")
    assert received == [sent]
    never.set()


async def test_effects_done_but_ack_lost_is_processed_once(
    harness: Harness, unique_name: str
) -> None:
    spec = harness.spec(unique_name)
    processed = MemoryProcessedLog()  # stands in for the durable processed_messages store
    first = await harness.bus(processed=processed)
    effects: list[str] = []
    release = asyncio.Event()

    async def handler(message: Message) -> None:
        effects.append(message.message_id)
        await release.wait()

    await first.consume(spec, handler)
    sent = hint()
    await first.publish(sent)
    await wait_until(lambda: effects, message="effects written")
    await harness.cut_consumer(first)  # the ack that follows will be lost
    release.set()

    async def marked() -> bool:
        return await processed.already_processed(unique_name, sent.message_id)

    ok: bool = await wait_until(marked, message="marked as processed")
    assert ok

    second = await harness.bus(processed=processed)
    await second.consume(spec, handler)
    await wait_until(
        lambda: sample("kakehashi_bus_consumed_total", queue=unique_name, outcome="duplicate"),
        message="redelivery recognised as duplicate",
    )
    assert effects == [sent.message_id]
    assert await harness.depth(unique_name) == 0


async def test_prefetch_limits_concurrent_handlers(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name, prefetch=2)
    running = 0
    peak = 0
    done = 0
    release = asyncio.Event()

    async def handler(message: Message) -> None:
        nonlocal running, peak, done
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        done += 1

    await bus.declare([spec])
    for i in range(5):
        await bus.publish(hint(str(i)))
    await bus.consume(spec, handler)
    await wait_until(lambda: running == 2, message="two handlers running")
    # The other three wait in the queue, not in the consumer.
    assert await harness.depth(unique_name) == 3
    release.set()
    await wait_until(lambda: done == 5, message="all handled")
    assert peak == 2


async def test_trace_context_crosses_publish_and_consume(
    harness: Harness, unique_name: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    bus = await harness.bus(tracer_provider=provider)
    spec = harness.spec(unique_name)
    await bus.declare([spec])

    with provider.get_tracer("test").start_as_current_span("webhook") as root:
        await bus.publish(hint())
    trace_id = root.get_span_context().trace_id

    [queued] = await harness.peek(unique_name)
    assert f"{trace_id:032x}" in str(queued.headers["traceparent"])

    seen: list[int] = []

    async def handler(message: Message) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    await bus.consume(spec, handler)
    await wait_until(lambda: seen, message="handled")
    assert seen == [trace_id]

    def finished() -> dict[str, ReadableSpan]:
        spans = {s.name: s for s in exporter.get_finished_spans()}
        return spans if f"{unique_name} process" in spans else {}

    spans: dict[str, ReadableSpan] = await wait_until(finished, message="consumer span ended")
    consumer, producer = spans[f"{unique_name} process"], spans["hint.garoon publish"]
    assert consumer.parent is not None
    assert producer.context is not None
    assert consumer.parent.span_id == producer.context.span_id


async def test_stop_consuming_drains_in_flight_handler(harness: Harness, unique_name: str) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name)
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str] = []

    async def handler(message: Message) -> None:
        started.set()
        await release.wait()
        finished.append(message.message_id)

    await bus.consume(spec, handler)
    sent = hint()
    await bus.publish(sent)
    await wait_until(started.is_set, message="handler started")

    stopping = asyncio.create_task(bus.stop_consuming())
    # A bounded look, not a wait for a condition: the drain must still be pending while the
    # handler is blocked (RabbitMQ 3.10 keeps reporting a cancelled quorum consumer, so there is
    # no broker-side signal to wait for instead).
    done, _ = await asyncio.wait({stopping}, timeout=0.3)
    assert not done, "stop_consuming returned while a handler was still running"
    release.set()
    await stopping
    assert finished == [sent.message_id]
    # The drained message was acked; new messages are no longer taken.
    await bus.publish(hint("2"))
    assert await harness.depth(unique_name) == 1


async def test_handler_and_publish_histograms_record_observations(
    harness: Harness, unique_name: str
) -> None:
    bus = await harness.bus()
    spec = harness.spec(unique_name, max_attempts=1)
    await bus.declare([spec])
    confirms_before = sample("kakehashi_bus_publish_confirm_seconds_count")
    for n in range(3):
        await bus.publish(hint(str(n)))
    # One observation per confirmed publish.
    assert sample("kakehashi_bus_publish_confirm_seconds_count") == confirms_before + 3

    durations: list[float] = []
    count = "kakehashi_bus_handler_duration_seconds_count"
    total = "kakehashi_bus_handler_duration_seconds_sum"

    async def handler(message: Message) -> None:
        started = time.perf_counter()
        try:
            if isinstance(message, GaroonHint) and message.event_id == "1":
                raise Poison("cannot be synced")
        finally:
            durations.append(time.perf_counter() - started)

    await bus.consume(spec, handler)
    # Successful and failing deliveries are both timed, per queue.
    await wait_until(lambda: sample(count, queue=unique_name) == 3, message="three observations")
    assert len(durations) == 3
    assert sample(total, queue=unique_name) >= sum(durations)
    assert sample(count, queue=f"{unique_name}.other") == 0


@pytest.fixture
async def rabbit(unique_name: str, amqp_url: str) -> AsyncIterator[Harness]:
    h = Harness("rabbitmq", f"{unique_name}.x", amqp_url)
    yield h
    await h.cleanup()


@pytest.mark.rabbitmq
async def test_messages_are_persistent_on_rabbitmq(
    rabbit: Harness, unique_name: str, amqp_url: str
) -> None:
    """Delivery mode 2: a broker restart does not lose queued or dead-lettered messages."""
    bus = await rabbit.bus()
    work = rabbit.spec(unique_name)
    await bus.declare([work])
    await bus.publish(hint())

    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(unique_name, passive=True)
        queued = await queue.get(fail=False)
        assert queued is not None
        assert queued.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        await queued.nack(requeue=True)

        async def handler(message: Message) -> None:
            raise Poison("never syncable")

        await bus.consume(work, handler)

        async def parked() -> aio_pika.abc.AbstractIncomingMessage | None:
            dlq = await channel.declare_queue(work.dead_letter_queue, passive=True)
            return await dlq.get(fail=False)

        dead = await wait_until(parked, message="dead letter")
        assert dead.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        await dead.nack(requeue=True)
    finally:
        await conn.close()


@pytest.mark.rabbitmq
async def test_rabbit_bus_publishes_and_consumes_on_separate_connections(
    rabbit: Harness, unique_name: str, amqp_url: str
) -> None:
    target = URL(amqp_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5672)
    await proxy.start()
    try:
        url = str(target.with_host("127.0.0.1").with_port(proxy.port))
        bus = await rabbit.bus(url=url)
        assert isinstance(bus, RabbitBus)
        assert proxy.connections_made == 2  # one for publishing, one for consuming
        spec = rabbit.spec(unique_name)
        received: list[Message] = []

        async def handler(message: Message) -> None:
            received.append(message)

        await bus.consume(spec, handler)
        assert proxy.connections_made == 2  # consuming opened no further connection
        # The consuming side dies: publishing carries on, on its own connection.
        await rabbit.cut_consumer(bus)
        await bus.publish(hint("after the consumer died"))
        assert await rabbit.depth(unique_name) == 1
        assert received == []
    finally:
        await proxy.close()
