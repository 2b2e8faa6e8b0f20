"""Fixtures: an ingress app on an in-memory bus and store, behind aiohttp's test client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.ingress.support import Wiring, unwire, wire

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
