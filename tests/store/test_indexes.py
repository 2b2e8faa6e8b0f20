"""Start-up index creation: idempotent, and TTLs follow configuration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kakehashi.store import DuplicateKey, Store, open_store
from tests.store.conftest import KEY, Backend
from tests.store.factories import mapping


async def test_ensure_indexes_twice_is_harmless(store: Store) -> None:
    await store.ensure_indexes()  # the fixture already ran it once: a replica restarting

    await store.mappings.insert(mapping(garoon_id="g-1"))
    with pytest.raises(DuplicateKey):
        await store.mappings.insert(mapping(garoon_id="g-1"))


async def test_ttl_indexes_use_configured_lifetimes(backend: Backend) -> None:
    store = await open_store(
        backend.url,
        key=KEY,
        database=backend.database,
        processed_ttl=timedelta(days=2),
        audit_ttl=timedelta(days=30),
    )
    try:
        await store.ensure_indexes()
        processed = await store.db.collection("processed_messages").index_information()
        audit = await store.db.collection("audit").index_information()
        assert processed["ttl"]["expireAfterSeconds"] == 2 * 86400
        assert audit["ttl"]["expireAfterSeconds"] == 30 * 86400
    finally:
        await store.close()


async def test_changed_ttl_rebuilds_the_index_on_restart(store: Store, backend: Backend) -> None:
    restarted = await open_store(
        backend.url, key=KEY, database=backend.database, processed_ttl=timedelta(hours=1)
    )
    try:
        await restarted.ensure_indexes()
        info = await restarted.db.collection("processed_messages").index_information()
        assert info["ttl"]["expireAfterSeconds"] == 3600
    finally:
        await restarted.close()


async def test_ping_on_memory_store_is_ready(store: Store) -> None:
    await store.ping()


async def test_restart_with_mappings_lacking_one_side_keeps_its_indexes(
    store: Store, backend: Backend
) -> None:
    # Outlook-born mappings lack a Garoon id until it is written: the unique index is
    # partial, and a restart's start-up must not trip over them (it did in memory).
    await store.mappings.insert(mapping(ical_uid="uid-1"))
    await store.mappings.insert(mapping(ical_uid="uid-2"))
    restarted = await backend.open()
    try:
        await restarted.ensure_indexes()
        await restarted.mappings.insert(mapping(garoon_id="g-1"))
        with pytest.raises(DuplicateKey):
            await restarted.mappings.insert(mapping(garoon_id="g-1"))
    finally:
        await restarted.close()
