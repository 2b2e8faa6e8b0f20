"""Every method of the store's `Collection` protocol, through kakehashi.store.mongo (the
production backend) against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from kakehashi.mongo_sim import MongoSimServer
from kakehashi.store import DuplicateKey
from kakehashi.store.backend import IndexSpec
from kakehashi.store.mongo import MongoCollection, MongoDatabase

T0 = datetime(2026, 11, 20, 9, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
async def db(mongo_sim: MongoSimServer) -> AsyncIterator[MongoDatabase]:
    database = MongoDatabase(mongo_sim.url, "collection_tests", timeout_ms=2000)
    yield database
    await database.drop()
    await database.close()


@pytest.fixture
def coll(db: MongoDatabase) -> MongoCollection:
    return db.collection("things")


async def test_ping_and_drop(db: MongoDatabase, coll: MongoCollection) -> None:
    await db.ping()
    await coll.insert_one({"_id": "a"})
    await db.drop()
    assert await coll.find_one({"_id": "a"}) is None


async def test_insert_then_find_one_round_trips_every_type(coll: MongoCollection) -> None:
    doc = {
        "_id": "a",
        "text": "会議室 A",
        "n": 2**40,
        "f": 1.5,
        "flag": True,
        "none": None,
        "when": T0,
        "blob": b"\x00\x01secret",
        "nested": {"list": [1, "two", {"three": 3}]},
    }
    await coll.insert_one(doc)
    assert await coll.find_one({"_id": "a"}) == doc
    assert await coll.find_one({"_id": "missing"}) is None
    assert await coll.find_one({"when": {"$gte": T0 - timedelta(seconds=1)}}) == doc


async def test_find_filters_sorts_and_limits(coll: MongoCollection) -> None:
    for n in (3, 1, 4, 1, 5, 9, 2, 6):
        await coll.insert_one({"_id": f"id{n}-{await _count(coll)}", "n": n, "odd": n % 2 == 1})
    found = await coll.find({"odd": True}, sort=[("n", -1), ("_id", 1)], limit=3)
    assert [d["n"] for d in found] == [9, 5, 3]
    everything = await coll.find({}, sort=[("n", 1)])
    assert [d["n"] for d in everything] == [1, 1, 2, 3, 4, 5, 6, 9]


async def _count(coll: MongoCollection) -> int:
    return len(await coll.find({}))


async def test_replace_one_counts_matches_and_upserts(coll: MongoCollection) -> None:
    assert await coll.replace_one({"_id": "a"}, {"_id": "a", "v": 1}) == 0
    assert await coll.find_one({"_id": "a"}) is None
    assert await coll.replace_one({"_id": "a"}, {"_id": "a", "v": 1}, upsert=True) == 0
    assert await coll.replace_one({"_id": "a", "v": 1}, {"_id": "a", "v": 2}) == 1
    assert await coll.find_one({"_id": "a"}) == {"_id": "a", "v": 2}


async def test_update_one_with_operators_and_upsert(coll: MongoCollection) -> None:
    assert await coll.update_one({"_id": "a"}, {"$set": {"v": 1}}) == 0
    assert await coll.update_one({"_id": "a"}, {"$set": {"v": 1}}, upsert=True) == 0
    assert await coll.update_one({"_id": "a"}, {"$inc": {"v": 2}, "$set": {"w": "x"}}) == 1
    assert await coll.update_one({"_id": "a"}, {"$unset": {"w": ""}}) == 1
    assert await coll.find_one({"_id": "a"}) == {"_id": "a", "v": 3}


async def test_delete_one(coll: MongoCollection) -> None:
    await coll.insert_one({"_id": "a"})
    await coll.insert_one({"_id": "b"})
    assert await coll.delete_one({"_id": "a"}) == 1
    assert await coll.delete_one({"_id": "a"}) == 0
    assert [d["_id"] for d in await coll.find({})] == ["b"]


async def test_unique_index_raises_duplicate_key_naming_the_key(coll: MongoCollection) -> None:
    await coll.create_index(IndexSpec("by_key", (("key", 1),), unique=True))
    await coll.insert_one({"_id": "a", "key": "k"})
    with pytest.raises(DuplicateKey) as raised:
        await coll.insert_one({"_id": "b", "key": "k"})
    assert "'key': 'k'" in str(raised.value)
    with pytest.raises(DuplicateKey):
        await coll.insert_one({"_id": "a", "key": "other"})  # the _id index is unique too
    await coll.insert_one({"_id": "b", "key": "other"})
    with pytest.raises(DuplicateKey):
        await coll.replace_one({"_id": "b"}, {"_id": "b", "key": "k"})
    with pytest.raises(DuplicateKey):
        await coll.update_one({"_id": "b"}, {"$set": {"key": "k"}})
    assert await coll.find_one({"_id": "b"}) == {"_id": "b", "key": "other"}


async def test_partial_unique_index_leaves_missing_keys_alone(coll: MongoCollection) -> None:
    await coll.insert_one({"_id": "early-1", "gid": None})
    await coll.insert_one({"_id": "early-2", "gid": None})
    partial = {"gid": {"$type": "string"}}
    # Built over documents that already share a null key: they are not indexed.
    await coll.create_index(IndexSpec("by_gid", (("gid", 1),), unique=True, partial=partial))
    await coll.insert_one({"_id": "a", "gid": None})
    await coll.insert_one({"_id": "b", "gid": "g-1"})
    with pytest.raises(DuplicateKey):
        await coll.insert_one({"_id": "c", "gid": "g-1"})
    info = await coll.index_information()
    assert info["by_gid"]["partialFilterExpression"] == partial
    assert info["by_gid"]["unique"] is True


async def test_a_unique_index_over_duplicates_is_refused(coll: MongoCollection) -> None:
    from pymongo.errors import DuplicateKeyError

    await coll.insert_one({"_id": "a", "k": 1})
    await coll.insert_one({"_id": "b", "k": 1})
    with pytest.raises(DuplicateKeyError):
        await coll.create_index(IndexSpec("by_k", (("k", 1),), unique=True))


async def test_create_index_is_idempotent_and_rebuilds_on_changed_options(
    coll: MongoCollection,
) -> None:
    ttl = IndexSpec("ttl", (("at", 1),), expire_after=timedelta(days=2))
    await coll.create_index(ttl)
    await coll.create_index(ttl)
    changed = IndexSpec("ttl", (("at", 1),), expire_after=timedelta(hours=1))
    await coll.create_index(changed)  # code 85 from the server, then drop + create
    other_keys = IndexSpec("ttl", (("other", 1),), expire_after=timedelta(hours=1))
    await coll.create_index(other_keys)  # code 86, same
    info = await coll.index_information()
    assert set(info) == {"_id_", "ttl"}
    assert info["ttl"] == {"v": 2, "key": [("other", 1)], "expireAfterSeconds": 3600}
    assert info["_id_"]["key"] == [("_id", 1)]
