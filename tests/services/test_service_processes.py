"""Each service as a real `kakehashi service NAME` process, seen the way Kubernetes sees it."""

from __future__ import annotations

import asyncio
import functools
import json
import signal
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest

from kakehashi.bus import open_bus
from kakehashi.contracts import GraphLifecycle, routing
from tests.services.process import TEST_KEY, KakehashiProcess, clean_env, free_port
from tests.services.proxy import TcpProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rabbitmq

SERVICES = ["ingress", "garoon_connector", "graph_connector", "translator", "renewal", "admin"]


def via_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.parametrize("name", SERVICES)
async def test_service_is_ready_only_with_its_broker_and_exits_cleanly(
    name, broker_url, spawn, tmp_path
):
    broker = urlsplit(broker_url)
    proxy_port, http_port = free_port(), free_port()
    env = clean_env(
        tmp_path,
        amqp_url=via_port(broker_url, proxy_port),  # nothing listens there yet
        http_port=str(http_port),
        encryption_key=TEST_KEY,
    )
    proc = spawn(["service", name], env)
    await proc.start()
    await wait_until(lambda: alive(proc, http_port), timeout=30, message="healthz")

    status, body = await proc.get(http_port, "/readyz")
    assert status == 503
    assert "message broker unavailable" in json.loads(body)["reason"]

    proxy = TcpProxy(proxy_port, broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    try:
        await wait_until(lambda: ready(proc, http_port), timeout=20, message="/readyz 200")
        status, metrics = await proc.get(http_port, "/metrics")
        assert status == 200
        assert f'kakehashi_service_ready{{service="{name}"}} 1.0' in metrics
        assert "process_resident_memory_bytes" in metrics

        assert await proc.terminate(timeout=10) == 0
    finally:
        await proxy.close()
    errors = [e for e in proc.logs() if e["level"] in {"error", "critical"}]
    assert not errors
    assert not proc.messages("tracing instrumentation unavailable")
    assert proc.messages("message broker unavailable, retrying")
    assert proc.messages("stopped")


async def test_sigterm_mid_stream_loses_no_message(broker_url, spawn, tmp_path):
    http_port = free_port()
    env = clean_env(
        tmp_path,
        amqp_url=broker_url,
        http_port=str(http_port),
        encryption_key=TEST_KEY,
        log_level="debug",
        test_handler_delay="1.0",  # test-only: each handler holds its message for 1 s
    )
    proc = spawn(["service", "renewal"], env)
    await proc.start()
    await wait_until(lambda: ready(proc, http_port), timeout=30, message="ready")

    await purge(broker_url, routing.RENEWAL_LIFECYCLE)
    publisher = open_bus(broker_url)
    await publisher.connect()
    sent = [
        GraphLifecycle(tenant_id="t1", subscription_id=f"s{i}", lifecycle_event="missed")
        for i in range(40)
    ]
    try:
        for message in sent:
            await publisher.publish(message)
    finally:
        await publisher.close()

    held = await wait_until(lambda: proc.messages("test delay: holding message"), message="held")
    assert await proc.terminate(timeout=15) == 0

    in_flight = {e["message_id"] for e in held}
    handled = {e["message_id"] for e in proc.messages("message handled")}
    left = await drain(broker_url, routing.RENEWAL_LIFECYCLE)
    assert in_flight <= handled, "a message in flight at SIGTERM did not finish"
    assert handled | set(left) == {m.message_id for m in sent}
    assert len(handled) < len(sent), "SIGTERM came too late to show anything"


@pytest.mark.parametrize("second_signal", [False, True], ids=["drain-timeout", "second-sigterm"])
async def test_a_stuck_drain_is_cut_short_and_the_message_stays_queued(
    second_signal, broker_url, spawn, tmp_path
):
    http_port = free_port()
    env = clean_env(
        tmp_path,
        amqp_url=broker_url,
        http_port=str(http_port),
        encryption_key=TEST_KEY,
        log_level="debug",
        test_handler_delay="60",  # a handler that would outlive any reasonable drain
        drain_timeout="30" if second_signal else "1",
    )
    proc = spawn(["service", "renewal"], env)
    await proc.start()
    await wait_until(lambda: ready(proc, http_port), timeout=30, message="ready")
    await purge(broker_url, routing.RENEWAL_LIFECYCLE)
    publisher = open_bus(broker_url)
    await publisher.connect()
    stuck = GraphLifecycle(tenant_id="t1", subscription_id="stuck", lifecycle_event="missed")
    try:
        await publisher.publish(stuck)
    finally:
        await publisher.close()
    await wait_until(lambda: proc.messages("test delay: holding message"), message="held")

    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGTERM)
    if second_signal:
        await wait_until(lambda: proc.messages("draining"), message="draining")
        proc.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.proc.wait(), 10) == 1
    assert not proc.messages("message handled")
    # Unacked, so the broker hands it to the next consumer: delayed, not lost.
    assert await drain(broker_url, routing.RENEWAL_LIFECYCLE) == [stuck.message_id]


async def test_up_runs_every_service_in_one_process(spawn, tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = clean_env(tmp_path, http_ports=json.dumps(ports))
    proc = spawn(["up"], env)
    await proc.start()
    for name, port in ports.items():
        await wait_until(functools.partial(ready, proc, port), timeout=30, message=name)
    _, metrics = await proc.get(ports["translator"], "/metrics")
    for name in SERVICES:
        assert f'kakehashi_service_ready{{service="{name}"}} 1.0' in metrics
    assert await proc.terminate(timeout=10) == 0
    warnings = " ".join(e["msg"] for e in proc.logs() if e["level"] == "warning")
    assert "ephemeral" in warnings
    assert "in-memory bus" in warnings


async def test_a_real_database_without_encryption_key_fails_clearly(spawn, tmp_path):
    env = clean_env(tmp_path, mongodb_url="mongodb://127.0.0.1:9/", http_port=str(free_port()))
    proc = spawn(["service", "translator"], env)
    await proc.start()
    assert proc.proc is not None
    assert await wait_until(lambda: proc.proc.returncode is not None, timeout=30)
    assert proc.proc.returncode == 2
    assert "KAKEHASHI_ENCRYPTION_KEY" in proc.log_path.read_text()


# Probes return Any: wait_until's signature does not type-check async probes returning bool.
async def test_a_taken_port_is_reported_not_a_traceback(spawn, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = clean_env(tmp_path, http_port=str(busy.getsockname()[1]))
        proc = spawn(["service", "ingress"], env)
        await proc.start()
        assert proc.proc is not None
        assert await asyncio.wait_for(proc.proc.wait(), 30) == 1
    text = proc.log_path.read_text()
    assert "cannot start" in text
    assert "Traceback" not in text


async def ready(proc: KakehashiProcess, port: int) -> Any:
    return await proc.status(port, "/readyz") == 200


async def alive(proc: KakehashiProcess, port: int) -> Any:
    return await proc.status(port, "/healthz") == 200


async def purge(url: str, queue: str) -> None:
    async with await aio_pika.connect(url) as conn:
        channel = await conn.channel()
        await (await channel.declare_queue(queue, passive=True)).purge()


async def drain(url: str, queue: str) -> list[str]:
    """Take every message left in the queue; return their message ids."""
    ids = []
    async with await aio_pika.connect(url) as conn:
        channel = await conn.channel()
        q = await channel.declare_queue(queue, passive=True)
        while (incoming := await q.get(no_ack=True, fail=False)) is not None:
            ids.append(json.loads(incoming.body)["message_id"])
    return ids
