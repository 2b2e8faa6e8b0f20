"""Each service consumes exactly its queues from the routing table."""

from __future__ import annotations

import aiohttp
import pytest

from kakehashi.bus import MemoryBus
from kakehashi.cli.services import load
from kakehashi.contracts import routing
from kakehashi.runtime import Settings
from kakehashi.runtime.host import utc_now
from kakehashi.store import open_store
from tests.support.context import service_context

EXPECTED = {
    "ingress": set(),
    "admin": set(),
    "garoon_connector": {
        routing.GAROON_CONNECTOR_HINTS,
        routing.GAROON_CONNECTOR_COMMANDS,
        routing.GAROON_CONNECTOR_REQUESTS,
    },
    "graph_connector": {
        routing.GRAPH_CONNECTOR_HINTS,
        routing.GRAPH_CONNECTOR_COMMANDS,
        routing.GRAPH_CONNECTOR_REQUESTS,
    },
    "translator": {routing.TRANSLATOR_OBSERVED, routing.TRANSLATOR_RESULTS},
    "renewal": {routing.RENEWAL_LIFECYCLE},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_consumers_match_the_routing_table(name):
    async with aiohttp.ClientSession() as http:
        ctx = service_context(
            Settings(service_name=name),
            bus=MemoryBus(),
            store=await open_store(None, key=b"k" * 32),
            http=http,
            clock=utc_now,
        )
        consumers = load(name).consumers(ctx)
        assert {spec.name for spec, _ in consumers} == EXPECTED[name]
        for spec, handler in consumers:
            assert spec.bindings == routing.BINDINGS[spec.name]
            assert callable(handler)
