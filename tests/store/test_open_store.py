"""Choosing the backend from a URL, and failing fast and clearly when MongoDB is away."""

from __future__ import annotations

import time

import pytest

from kakehashi.store import StoreUnavailable, open_store
from tests.store.conftest import KEY
from tests.store.factories import tenant


async def test_memory_stores_are_private_unless_named() -> None:
    a, b = await open_store(None, key=KEY), await open_store("memory://", key=KEY)
    await a.tenants.put(tenant())
    assert await b.tenants.get("acme") is None

    shared_1 = await open_store("memory://shared-test", key=KEY, database="db1")
    shared_2 = await open_store("memory://shared-test", key=KEY, database="db1")
    await shared_1.tenants.put(tenant())
    assert await shared_2.tenants.get("acme") == tenant()
    await shared_1.db.drop()


async def test_unsupported_url_names_only_the_scheme() -> None:
    with pytest.raises(ValueError, match="'postgres'") as info:
        await open_store("postgres://user:hunter2@db/x", key=KEY)
    assert "hunter2" not in str(info.value)


async def test_unreachable_mongodb_fails_ping_fast_without_leaking_the_url() -> None:
    store = await open_store("mongodb://admin:hunter2@127.0.0.1:1/", key=KEY, server_timeout_ms=300)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable, match="MongoDB unreachable") as info:
            await store.ping()
    finally:
        await store.close()
    assert time.monotonic() - started < 5
    assert "hunter2" not in str(info.value)
