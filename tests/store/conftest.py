"""The store contract suite runs on every backend: in-memory and the MongoDB simulator always,
real MongoDB when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kakehashi.mongo_sim import MongoSimServer
from kakehashi.store import Store, generate_key, load_key, open_store

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})


@dataclass(frozen=True)
class Backend:
    url: str
    database: str

    async def open(self, key: bytes = KEY) -> Store:
        return await open_store(self.url, key=key, database=self.database)


@pytest.fixture(
    params=["memory", "mongo_sim", pytest.param("mongodb", marks=pytest.mark.mongodb)],
)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    database = f"kakehashi_test_{uuid.uuid4().hex[:12]}"
    server: MongoSimServer | None = None
    if request.param == "memory":
        # A named in-memory store, so a second Store (e.g. with another key) sees the same data.
        url = f"memory://{database}"
    elif request.param == "mongo_sim":
        # The production pymongo backend over the wire protocol, against the in-memory MongoDB
        # simulator (libs/mongo_sim): no server to install.
        server = MongoSimServer()
        await server.start()
        url = server.url
    else:
        url = os.environ.get("MONGODB_URL", "")
        if not url:
            pytest.skip("MONGODB_URL not set")
    backend = Backend(url, database)
    yield backend
    cleanup = await backend.open()
    await cleanup.db.drop()
    await cleanup.close()
    if server is not None:
        await server.stop()


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = await backend.open()
    await s.ensure_indexes()
    yield s
    await s.close()
