"""The ingress inside the real service host: routes served, target queues declared at start."""

from __future__ import annotations

import aiohttp

from kakehashi.bus import MemoryBus
from kakehashi.contracts import routing
from kakehashi.ingress import SERVICE
from kakehashi.runtime import ServiceHost, Settings
from kakehashi.store import open_store
from tests.ingress.support import KEY, change_item, queued, seed
from tests.support.waiting import wait_until


async def test_ingress_under_the_host_accepts_a_notification():
    settings = Settings(service_name="ingress", http_host="127.0.0.1", http_port=0)
    bus = MemoryBus()
    store = await open_store(None, key=KEY)
    await seed(store)
    host = ServiceHost([SERVICE()], settings, bus=bus, store=store)
    await host.start()
    try:
        await wait_until(lambda: host.is_ready, message="ingress ready")
        base = f"http://127.0.0.1:{host.ports['ingress']}"
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/webhooks/graph?validationToken=tok") as resp:
                assert (resp.status, await resp.text()) == (200, "tok")
            async with http.post(f"{base}/webhooks/graph", json={"value": [change_item()]}) as resp:
                assert resp.status == 202
            async with http.get(f"{base}/openapi.json") as resp:
                assert resp.status == 200
        # Declared by the ingress itself: no consumer of hint.graph runs in this process.
        assert len(queued(bus, routing.GRAPH_CONNECTOR_HINTS)) == 1
    finally:
        await host.shutdown()
