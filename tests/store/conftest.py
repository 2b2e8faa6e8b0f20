"""The store contract suite runs on every backend: in-memory always, MongoDB when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kakehashi.store import Store, generate_key, load_key, open_store

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})


@dataclass(frozen=True)
class Backend:
    url: str
    database: str

    async def open(self, key: bytes = KEY) -> Store:
        return await open_store(self.url, key=key, database=self.database)


@pytest.fixture(
    params=["memory", pytest.param("mongodb", marks=pytest.mark.mongodb)],
)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    database = f"kakehashi_test_{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        # A named in-memory store, so a second Store (e.g. with another key) sees the same data.
        url = f"memory://{database}"
    else:
        url = os.environ.get("MONGODB_URL", "")
        if not url:
            pytest.skip("MONGODB_URL not set")
    backend = Backend(url, database)
    yield backend
    cleanup = await backend.open()
    await cleanup.db.drop()
    await cleanup.close()


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = await backend.open()
    await s.ensure_indexes()
    yield s
    await s.close()
