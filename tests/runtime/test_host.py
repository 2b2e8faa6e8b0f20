"""The host in-process: health at once, ready only with bus and store, drain on shutdown."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import aiohttp
from aiohttp import web

from kakehashi.bus import MemoryBus, QueueSpec
from kakehashi.bus.api import Handler
from kakehashi.contracts import GraphLifecycle, routing
from kakehashi.runtime import CONTEXT, Service, ServiceContext, ServiceHost, Settings, queue_spec
from kakehashi.store import Store, StoreUnavailable, open_store
from kakehashi.store.memory import MemoryDatabase
from tests.support.waiting import wait_until

KEY = b"k" * 32


class FlakyBus(MemoryBus):
    """Refuses to connect until `up` is set, like a broker that is still starting."""

    def __init__(self) -> None:
        super().__init__()
        self.up = False

    async def connect(self) -> None:
        if not self.up:
            raise ConnectionRefusedError("broker down")
        await super().connect()


class FlakyStore(Store):
    """A store whose ping fails until `up` is set, like a database still starting."""

    def __init__(self) -> None:
        super().__init__(MemoryDatabase(), key=KEY)
        self.up = False
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        if not self.up:
            raise StoreUnavailable("MongoDB unreachable for database 'kakehashi'")
        await super().ping()


class Recorder(Service):
    name: ClassVar[str] = "renewal"

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.release = asyncio.Event()
        self.in_flight = asyncio.Event()
        self.stopped = False

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        async def handle(message):
            self.in_flight.set()
            await self.release.wait()
            self.handled.append(message.message_id)

        return [(queue_spec(routing.RENEWAL_LIFECYCLE), handle)]

    def routes(self, ctx: ServiceContext) -> list[web.RouteDef]:
        async def hello(request: web.Request) -> web.Response:
            return web.json_response({"service": request.app[CONTEXT].settings.service_name})

        return [web.get("/hello", hello)]

    async def stop(self) -> None:
        self.stopped = True


async def status(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with session.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_ready_only_after_the_broker_comes_up_and_drains_on_shutdown():
    settings = Settings(service_name="renewal", http_host="127.0.0.1", http_port=0)
    bus = FlakyBus()
    store = await open_store(None, key=KEY)
    service = Recorder()
    host = ServiceHost([service], settings, bus=bus, store=store)
    await host.start()
    port = host.ports["renewal"]
    async with aiohttp.ClientSession() as http:
        assert (await status(http, port, "/healthz"))[0] == 200
        code, body = await status(http, port, "/readyz")
        assert code == 503
        assert "message broker unavailable" in body
        assert (await status(http, port, "/hello"))[0] == 200

        bus.up = True
        await wait_until(lambda: host.is_ready, timeout=10, message="host ready")
        assert (await status(http, port, "/readyz"))[0] == 200
        metrics = (await status(http, port, "/metrics"))[1]
        assert 'kakehashi_service_ready{service="renewal"} 1.0' in metrics

        # A message in flight when shutdown starts still completes before the bus closes.
        message = GraphLifecycle(tenant_id="t", subscription_id="s", lifecycle_event="missed")
        await bus.publish(message)
        await asyncio.wait_for(service.in_flight.wait(), 10)
        shutdown = asyncio.create_task(host.shutdown())
        await wait_until(lambda: host.not_ready_reason.startswith("draining"), message="draining")
        code, body = await status(http, port, "/readyz")
        assert code == 503
        assert "draining" in body
        service.release.set()
        await asyncio.wait_for(shutdown, 10)
    assert service.handled == [message.message_id]
    assert service.stopped


async def test_not_ready_while_the_store_is_down_then_ready_when_it_is_back():
    settings = Settings(service_name="renewal", http_host="127.0.0.1", http_port=0)
    store = FlakyStore()
    host = ServiceHost([Recorder()], settings, bus=MemoryBus(), store=store)
    await host.start()
    port = host.ports["renewal"]
    try:
        async with aiohttp.ClientSession() as http:
            assert (await status(http, port, "/healthz"))[0] == 200  # alive, just not ready
            # Several failed pings (retried with back-off) all leave the host not ready.
            await wait_until(lambda: store.pings >= 2, message="store retried")
            code, body = await status(http, port, "/readyz")
            assert code == 503
            assert "store unavailable" in body
            assert "MongoDB unreachable" in body
            metrics = (await status(http, port, "/metrics"))[1]
            assert 'kakehashi_service_ready{service="renewal"} 0.0' in metrics

            store.up = True

            async def ready() -> bool:
                return (await status(http, port, "/readyz"))[0] == 200

            await wait_until(ready, timeout=10, message="/readyz 200 once the store is back")
            assert '"ready"' in (await status(http, port, "/readyz"))[1]
    finally:
        await host.shutdown()


class KillableBus(MemoryBus):
    """A bus that can crash (RabbitBus.kill): consumers severed mid-message, nothing drained."""

    def __init__(self) -> None:
        super().__init__()
        self.killed = False

    async def kill(self) -> None:
        self.killed = True
        self.lose_consumer_connection()
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)


async def test_kill_crashes_the_bus_instead_of_draining_it():
    settings = Settings(service_name="renewal", http_host="127.0.0.1", http_port=0)
    bus = KillableBus()
    service = Recorder()
    host = ServiceHost([service], settings, bus=bus, store=await open_store(None, key=KEY))
    await host.start()
    await wait_until(lambda: host.is_ready, timeout=10, message="host ready")
    await bus.publish(GraphLifecycle(tenant_id="t", subscription_id="s", lifecycle_event="missed"))
    await asyncio.wait_for(service.in_flight.wait(), 10)
    # The handler never finishes: a drain would wait for it, a crash does not.
    await asyncio.wait_for(host.kill(), 5)
    assert bus.killed
    assert service.stopped
    assert service.handled == []
    service.release.set()
