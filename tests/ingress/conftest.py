"""Fixtures: an ingress app on an in-memory bus and store, behind aiohttp's test client; for
tests parametrized with `bus_kind`, on that bus (the real broker too)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.ingress.support import Wiring, unwire, wire, wired
from tests.support.buses import BusKind

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def wiring() -> AsyncIterator[Wiring]:
    w = await wire()
    try:
        yield w
    finally:
        await unwire(w)


@pytest.fixture
async def client(wiring: Wiring, aiohttp_client: ClientFactory) -> TestClient[Any, Any]:
    return await aiohttp_client(wiring.app())


@pytest.fixture
async def bus_wiring(bus_kind: BusKind) -> AsyncIterator[Wiring]:
    async with wired(bus_kind) as w:
        yield w


@pytest.fixture
async def bus_client(bus_wiring: Wiring, aiohttp_client: ClientFactory) -> TestClient[Any, Any]:
    return await aiohttp_client(bus_wiring.app())
