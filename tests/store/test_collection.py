"""The `Collection` contract the repositories rely on, on raw documents: lookups by indexed
keys follow every write, unique and partial-unique indexes refuse what MongoDB refuses, and
no caller aliases a stored document. Runs on every backend (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kakehashi.store import DuplicateKey, Store
from kakehashi.store.backend import Collection, IndexSpec

UNIQUE_G = IndexSpec(
    "g", (("tenant", 1), ("g", 1)), unique=True, partial={"g": {"$type": "string"}}
)
BY_GRAPH = IndexSpec("graph", (("tenant", 1), ("graph.id", 1)))


@pytest.fixture
async def coll(store: Store) -> Collection:
    c = store.db.collection("contract_docs")
    await c.create_index(UNIQUE_G)
    await c.create_index(BY_GRAPH)
    return c


async def test_lookups_follow_updates_replaces_and_deletes(coll: Collection) -> None:
    await coll.insert_one({"_id": "a", "tenant": "t", "g": "g1", "graph": {"id": "x"}})
    await coll.insert_one({"_id": "b", "tenant": "t", "g": "g2", "graph": {"id": "x"}})
    found = await coll.find({"tenant": "t", "graph.id": "x"}, sort=[("_id", -1)])
    assert [d["_id"] for d in found] == ["b", "a"]

    assert await coll.update_one({"_id": "a"}, {"$set": {"g": "g3", "graph.id": "y"}}) == 1
    assert await coll.find_one({"tenant": "t", "g": "g1"}) is None
    assert (await coll.find_one({"tenant": "t", "g": "g3"}) or {})["_id"] == "a"
    assert [d["_id"] for d in await coll.find({"tenant": "t", "graph.id": "y"})] == ["a"]

    replaced = {"_id": "b", "tenant": "t", "g": "g4", "graph": {"id": "y"}, "rev": 2}
    assert await coll.replace_one({"_id": "b", "g": "g2"}, replaced) == 1
    assert await coll.replace_one({"_id": "b", "g": "g2"}, replaced) == 0  # compare-and-set
    assert await coll.find_one({"tenant": "t", "g": "g2"}) is None
    assert [d["_id"] for d in await coll.find({"tenant": "t", "graph.id": "y"})] == ["a", "b"]

    assert await coll.delete_one({"tenant": "t", "g": "g3"}) == 1
    assert await coll.find_one({"_id": "a"}) is None
    assert await coll.find({"tenant": "t", "graph.id": "y"}) == [replaced]


async def test_unique_when_set_refuses_a_clash_by_every_write(coll: Collection) -> None:
    await coll.insert_one({"_id": "a", "tenant": "t", "g": "g1"})
    await coll.insert_one({"_id": "b", "tenant": "t"})  # no key: not in the partial index
    await coll.insert_one({"_id": "c", "tenant": "t", "g": None})
    await coll.insert_one({"_id": "d", "tenant": "u", "g": "g1"})  # another tenant
    with pytest.raises(DuplicateKey):
        await coll.insert_one({"_id": "e", "tenant": "t", "g": "g1"})
    with pytest.raises(DuplicateKey):
        await coll.update_one({"_id": "b"}, {"$set": {"g": "g1"}})
    with pytest.raises(DuplicateKey):
        await coll.replace_one({"_id": "c"}, {"_id": "c", "tenant": "t", "g": "g1"})
    with pytest.raises(DuplicateKey):
        await coll.update_one({"_id": "z"}, {"$set": {"tenant": "t", "g": "g1"}}, upsert=True)
    with pytest.raises(DuplicateKey):
        await coll.insert_one({"_id": "a", "tenant": "x"})
    # Refused writes changed nothing.
    assert await coll.find_one({"_id": "b"}) == {"_id": "b", "tenant": "t"}
    assert await coll.find_one({"_id": "z"}) is None
    assert [d["_id"] for d in await coll.find({"tenant": "t"}, sort=[("_id", 1)])] == [
        "a",
        "b",
        "c",
    ]
    # A document may keep its own key.
    assert await coll.replace_one({"_id": "a"}, {"_id": "a", "tenant": "t", "g": "g1"}) == 1


async def test_filters_beyond_equality_and_upserts(coll: Collection) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)
    await coll.insert_one({"_id": "a", "tenant": "t", "n": 1, "at": at})
    await coll.insert_one({"_id": "b", "tenant": "t", "n": 5})
    found = await coll.find({"tenant": "t", "n": {"$gte": 2}})
    assert [d["_id"] for d in found] == ["b"]
    [dated] = await coll.find({"at": {"$lt": datetime(2027, 1, 1, tzinfo=UTC)}})
    assert dated["at"] == at.replace(microsecond=678_000)  # BSON keeps milliseconds
    assert dated["at"].tzinfo is not None
    assert await coll.update_one({"_id": "c"}, {"$setOnInsert": {"tenant": "t"}}, upsert=True) == 0
    assert await coll.update_one({"_id": "c"}, {"$inc": {"n": 2}}) == 1
    assert await coll.find_one({"_id": "c"}) == {"_id": "c", "tenant": "t", "n": 2}
    assert await coll.replace_one({"tenant": "v"}, {"tenant": "v", "n": 9}, upsert=True) == 0
    assert (await coll.find_one({"tenant": "v"}) or {})["n"] == 9


async def test_documents_are_copied_in_and_out(coll: Collection) -> None:
    doc = {"_id": "a", "tenant": "t", "graph": {"id": "x"}, "tags": ["one"]}
    await coll.insert_one(doc)
    doc["graph"]["id"] = "changed"  # type: ignore[index]
    out = await coll.find_one({"tenant": "t", "graph.id": "x"})
    assert out is not None
    out["tags"].append("two")
    out["graph"]["id"] = "changed"
    again = await coll.find_one({"_id": "a"})
    assert again == {"_id": "a", "tenant": "t", "graph": {"id": "x"}, "tags": ["one"]}
