"""Several clients, and several OS processes, on one simulator: each sees the others' writes,
and single-document writes stay atomic (the store's compare-and-set)."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from kakehashi.contracts.state import MappingState
from kakehashi.mongo_sim import MongoSimServer
from kakehashi.store import Store
from tests.store.conftest import Backend
from tests.store.factories import mapping


@pytest.fixture
async def two_stores(backend: Backend) -> AsyncIterator[tuple[Store, Store]]:
    """Two Stores, each with its own AsyncMongoClient and connection pool."""
    a, b = await backend.open(), await backend.open()
    await a.ensure_indexes()
    await b.ensure_indexes()  # a second replica starting: harmless
    yield a, b
    await a.close()
    await b.close()


async def test_compare_and_set_from_two_clients_has_exactly_one_winner(
    two_stores: tuple[Store, Store],
) -> None:
    a, b = two_stores
    m = mapping(garoon_id="g-race")
    await a.mappings.insert(m)
    for revision in range(20):
        mine = m.model_copy(update={"graph_ical_uid": f"uid-a-{revision}"})
        theirs = m.model_copy(update={"state": MappingState.TOMBSTONED})
        won = await asyncio.gather(
            a.mappings.compare_and_set(mine, revision),
            b.mappings.compare_and_set(theirs, revision),
        )
        assert sorted(won) == [False, True], f"round {revision}: {won}"
        winner = mine if won[0] else theirs
        stored = await b.mappings.get(m.id)
        assert stored == winner.model_copy(update={"revision": revision + 1})


async def test_concurrent_increments_from_two_clients_are_not_lost(
    mongo_sim: MongoSimServer,
) -> None:
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(mongo_sim.url, maxPoolSize=10) for _ in range(2)
    ]
    try:
        await clients[0].app.counters.insert_one({"_id": "c", "n": 0})
        await asyncio.gather(
            *(
                c.app.counters.update_one({"_id": "c"}, {"$inc": {"n": 1}})
                for c in clients
                for _ in range(50)
            )
        )
        assert await clients[1].app.counters.find_one({"_id": "c"}) == {"_id": "c", "n": 100}
        assert mongo_sim.connections > 2  # the increments really went over several sockets
    finally:
        for c in clients:
            await c.close()


_OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from pymongo import MongoClient

    with MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000) as client:
        seen = client.app.notes.find_one({"_id": "from-test"})
        client.app.notes.insert_one({"_id": "from-child", "saw": seen["text"]})
    """
)


async def test_separate_processes_share_one_store() -> None:
    """`python -m kakehashi.mongo_sim` in one process, this test in another, a third writes."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kakehashi.mongo_sim",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        banner = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        url = banner.split(" on ", 1)[1].strip()
        assert url.startswith("mongodb://127.0.0.1:")
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
        try:
            await client.app.notes.insert_one({"_id": "from-test", "text": "hello"})
            child = await asyncio.create_subprocess_exec(sys.executable, "-c", _OTHER_PROCESS, url)
            assert await asyncio.wait_for(child.wait(), 60) == 0
            found = await client.app.notes.find_one({"_id": "from-child"})
            assert found == {"_id": "from-child", "saw": "hello"}
        finally:
            await client.close()
        server.send_signal(signal.SIGTERM)  # as a container stopping: a clean stop
        assert await asyncio.wait_for(server.wait(), 30) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
