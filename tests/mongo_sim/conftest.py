"""The MongoDB simulator on port 0 per test, and the store suite's `backend` pointed at it.

The store's whole contract suite (tests/store) also runs against the simulator: its `backend`
fixture has a `mongo_sim` parameter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from kakehashi.mongo_sim import MongoSimServer
from tests.store.conftest import Backend


@pytest.fixture
async def mongo_sim() -> AsyncIterator[MongoSimServer]:
    async with MongoSimServer() as server:
        yield server


@pytest.fixture
async def backend(mongo_sim: MongoSimServer) -> AsyncIterator[Backend]:
    """As tests/store's `backend`, over the wire to the simulator."""
    backend = Backend(mongo_sim.url, f"kakehashi_test_{uuid.uuid4().hex[:12]}")
    yield backend
    cleanup = await backend.open()
    await cleanup.db.drop()
    await cleanup.close()
