"""The wire protocol as pymongo's AsyncMongoClient speaks it, plus a legacy OP_QUERY handshake
and raw OP_MSG edge cases on a bare socket."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Any

import bson
import pytest
from pymongo import AsyncMongoClient, WriteConcern
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure
from pymongo.monitoring import CommandListener, CommandStartedEvent

from kakehashi.mongo_sim import MongoSimServer
from tests.support.waiting import wait_until


class Commands(CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


@pytest.fixture
def commands() -> Commands:
    return Commands()


@pytest.fixture
async def client(
    mongo_sim: MongoSimServer, commands: Commands
) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    c: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_sim.url, serverSelectionTimeoutMS=2000, event_listeners=[commands]
    )
    yield c
    await c.close()


async def test_hello_describes_a_standalone_server(client: AsyncMongoClient[Any]) -> None:
    hello = await client.admin.command("hello")
    assert hello["isWritablePrimary"] is True
    assert (hello["minWireVersion"], hello["maxWireVersion"]) == (0, 21)
    for field in (
        "maxBsonObjectSize",
        "maxMessageSizeBytes",
        "maxWriteBatchSize",
        "localTime",
        "logicalSessionTimeoutMinutes",
        "connectionId",
    ):
        assert field in hello
    legacy = await client.admin.command("isMaster")
    assert legacy["ismaster"] is True
    assert (await client.admin.command("buildInfo"))["version"].startswith("7.")


async def test_an_unknown_command_fails_clearly(client: AsyncMongoClient[Any]) -> None:
    with pytest.raises(OperationFailure) as raised:
        await client.app.command("frobnicate")
    assert raised.value.code == 59
    assert raised.value.details is not None
    assert raised.value.details["codeName"] == "CommandNotFound"
    assert "no such command: 'frobnicate'" in str(raised.value)


async def test_a_large_result_arrives_over_get_more(
    client: AsyncMongoClient[Any], commands: Commands, mongo_sim: MongoSimServer
) -> None:
    coll = client.app.big
    await coll.insert_many([{"_id": n, "pad": "x" * 100} for n in range(250)])
    commands.names.clear()
    found = await coll.find({}, sort=[("_id", -1)]).to_list()
    assert [d["_id"] for d in found] == list(range(249, -1, -1))
    assert commands.names == ["find", "getMore"]  # 101 first, then the rest
    commands.names.clear()
    assert len(await coll.find({"_id": {"$gte": 10}}).batch_size(40).to_list()) == 240
    assert commands.names == ["find"] + ["getMore"] * 5
    assert len(mongo_sim.cursors) == 0


async def test_a_cursor_closed_early_is_killed(
    client: AsyncMongoClient[Any], commands: Commands, mongo_sim: MongoSimServer
) -> None:
    coll = client.app.big
    await coll.insert_many([{"_id": n} for n in range(30)])
    cursor = coll.find({}).batch_size(10)
    assert (await cursor.next())["_id"] == 0
    assert len(mongo_sim.cursors) == 1
    await cursor.close()
    assert "killCursors" in commands.names
    assert len(mongo_sim.cursors) == 0
    with pytest.raises(OperationFailure) as raised:
        await client.app.command({"getMore": bson.Int64(12345), "collection": "big"})
    assert raised.value.code == 43


async def test_limit_skip_projection_and_single_batch(client: AsyncMongoClient[Any]) -> None:
    coll = client.app.things
    await coll.insert_many([{"_id": n, "n": n, "sq": n * n} for n in range(200)])
    page = await coll.find({}, {"sq": 1, "_id": 0}, skip=5, limit=150, sort=[("n", 1)]).to_list()
    assert page[0] == {"sq": 25}
    assert len(page) == 150
    assert await coll.find_one({"n": {"$gt": 198}}) == {"_id": 199, "n": 199, "sq": 199 * 199}


async def test_bulk_writes_report_counts_and_errors(client: AsyncMongoClient[Any]) -> None:
    coll = client.app.things
    await coll.create_index("k", unique=True)
    with pytest.raises(BulkWriteError) as raised:
        await coll.insert_many([{"k": 1}, {"k": 1}, {"k": 2}], ordered=False)
    assert raised.value.details["nInserted"] == 2
    assert [e["code"] for e in raised.value.details["writeErrors"]] == [11000]
    result = await coll.update_many({"k": {"$gte": 1}}, {"$set": {"seen": True}})
    assert (result.matched_count, result.modified_count) == (2, 2)
    upserted = await coll.update_one({"k": 3}, {"$set": {"seen": False}}, upsert=True)
    assert upserted.upserted_id is not None
    assert (await coll.delete_many({"seen": True})).deleted_count == 2
    assert await coll.count_documents({}) == 1
    assert await coll.distinct("k") == [3]


async def test_find_one_and_modify(client: AsyncMongoClient[Any]) -> None:
    from pymongo import ReturnDocument

    coll = client.app.counters
    after = await coll.find_one_and_update(
        {"_id": "c"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert after == {"_id": "c", "n": 1}
    before = await coll.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}})
    assert before == {"_id": "c", "n": 1}
    assert await coll.find_one_and_delete({"_id": "c"}) == {"_id": "c", "n": 2}
    assert await coll.find_one_and_delete({"_id": "c"}) is None
    await coll.create_index("k", unique=True)
    await coll.insert_many([{"_id": 1, "k": 1}, {"_id": 2, "k": 2}])
    with pytest.raises(DuplicateKeyError):
        await coll.find_one_and_update({"_id": 2}, {"$set": {"k": 1}})


async def test_collections_and_indexes_are_listed_and_dropped(
    client: AsyncMongoClient[Any],
) -> None:
    db = client.app
    await db.a.insert_one({})
    await db.b.create_index([("x", 1), ("y", -1)], name="xy")
    assert sorted(await db.list_collection_names()) == ["a", "b"]
    assert [i["name"] async for i in await db.b.list_indexes()] == ["_id_", "xy"]
    with pytest.raises(OperationFailure) as raised:
        await db.b.drop_index("nope")
    assert raised.value.code == 27
    await db.b.drop_index("xy")
    assert list(await db.b.index_information()) == ["_id_"]
    assert await db.missing.index_information() == {}  # NamespaceNotFound, as pymongo expects
    await db.drop_collection("a")
    assert await db.list_collection_names() == ["b"]
    assert "app" in await client.list_database_names()


async def test_unacknowledged_writes_need_no_reply(client: AsyncMongoClient[Any]) -> None:
    fire_and_forget = client.app.get_collection("things", write_concern=WriteConcern(w=0))
    await fire_and_forget.insert_one({"_id": "w0"})  # OP_MSG moreToCome: no reply is read

    async def landed() -> bool:
        return await client.app.things.find_one({"_id": "w0"}) is not None

    await wait_until(landed, timeout=5, message="the w:0 insert")


# ---------------------------------------------------------------- bare socket


async def _exchange(server: MongoSimServer, op_code: int, body: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(struct.pack("<iiii", 16 + len(body), 7, 0, op_code) + body)
        await writer.drain()
        length, _, response_to, reply_op = struct.unpack("<iiii", await reader.readexactly(16))
        assert response_to == 7
        return reply_op, await reader.readexactly(length - 16)
    finally:
        writer.close()


async def test_a_legacy_op_query_handshake_gets_an_op_reply(mongo_sim: MongoSimServer) -> None:
    query = bson.encode({"isMaster": 1, "client": {"driver": {"name": "old"}}})
    body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
    op_code, reply = await _exchange(mongo_sim, 2004, body)
    assert op_code == 1
    flags, cursor_id, start, returned = struct.unpack_from("<iqii", reply)
    assert (flags, cursor_id, start, returned) == (0, 0, 0, 1)
    doc = bson.decode(reply[20:])
    assert doc["ismaster"] is True
    assert doc["ok"] == 1.0


async def test_op_msg_without_db_is_refused(mongo_sim: MongoSimServer) -> None:
    body = struct.pack("<IB", 0, 0) + bson.encode({"ping": 1})
    op_code, reply = await _exchange(mongo_sim, 2013, body)
    assert op_code == 2013
    doc = bson.decode(reply[5:])
    assert doc["ok"] == 0
    assert "$db" in doc["errmsg"]


async def test_op_msg_document_sequences_and_checksum(mongo_sim: MongoSimServer) -> None:
    docs = b"".join(bson.encode({"_id": n}) for n in range(3))
    ident = b"documents\x00"
    sequence = struct.pack("<B", 1) + struct.pack("<i", 4 + len(ident) + len(docs)) + ident + docs
    command = bson.encode({"insert": "seq", "$db": "app"})
    # checksumPresent: four trailing bytes, which the simulator need not verify.
    body = struct.pack("<IB", 1, 0) + command + sequence + b"\x00\x00\x00\x00"
    _, reply = await _exchange(mongo_sim, 2013, body)
    assert bson.decode(reply[5:]) == {"n": 3, "ok": 1.0}


async def test_a_malformed_message_drops_only_that_connection(mongo_sim: MongoSimServer) -> None:
    reader, writer = await asyncio.open_connection(mongo_sim.host, mongo_sim.port)
    body = struct.pack("<IB", 0, 0) + b"\x10\x00\x00\x00not bson at all!"
    writer.write(struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body)
    await writer.drain()
    assert await reader.read() == b""  # closed by the server
    writer.close()
    _, reply = await _exchange(
        mongo_sim, 2013, struct.pack("<IB", 0, 0) + bson.encode({"ping": 1, "$db": "admin"})
    )
    assert bson.decode(reply[5:]) == {"ok": 1.0}
