"""A ready service that loses its broker reports not-ready, and ready again once it is back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from kakehashi.bus import RabbitBus
from kakehashi.cli.services import load
from kakehashi.runtime import ServiceHost, Settings
from kakehashi.store import open_store
from tests.services.process import free_port
from tests.services.proxy import TcpProxy
from tests.services.test_service_processes import via_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rabbitmq


async def readyz(port: int) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as r:
        return r.status, (await r.json()).get("reason")


async def test_readiness_follows_the_broker_connection(broker_url):
    broker = urlsplit(broker_url)
    proxy = TcpProxy(free_port(), broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    store = await open_store(None, key=b"k" * 32)
    bus = RabbitBus(via_port(broker_url, proxy.listen_port), reconnect_interval=0.2)
    settings = Settings(service_name="translator", http_host="127.0.0.1", http_port=0)
    host = ServiceHost([load("translator")], settings, bus=bus, store=store)
    await host.start()
    port = host.ports["translator"]
    try:
        await wait_until(lambda: host.is_ready, timeout=20, message="ready")
        assert (await readyz(port))[0] == 200

        await proxy.close()  # the broker vanishes: every connection through it drops
        await wait_until(lambda: not host.is_ready, timeout=10, message="not ready")
        assert await readyz(port) == (503, "message broker connection lost")

        await proxy.start()
        await wait_until(lambda: host.is_ready, timeout=20, message="ready again")
        assert (await readyz(port))[0] == 200
    finally:
        await host.shutdown()
        await proxy.close()
