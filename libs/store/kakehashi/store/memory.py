"""`Collection` over mongomock: the in-memory stand-in for tests and the sandbox.

mongomock is synchronous; each method runs one mongomock call without awaiting in between,
so every single operation is atomic just as on the server (compare-and-set stays honest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import mongomock
from pymongo.errors import DuplicateKeyError, OperationFailure

from kakehashi.store.backend import Document, Filter, IndexSpec
from kakehashi.store.errors import DuplicateKey
from kakehashi.store.mongo import index_kwargs

# Named in-memory databases, so services started in one process can share one store.
_SHARED: dict[str, Any] = {}


class MemoryCollection:
    def __init__(self, coll: Any) -> None:
        self._c = coll

    @property
    def name(self) -> str:
        return str(self._c.name)

    async def insert_one(self, doc: Document) -> None:
        await asyncio.sleep(0)  # a scheduling point, as real I/O would have
        try:
            self._c.insert_one(dict(doc))
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc

    async def find_one(self, flt: Filter) -> Document | None:
        await asyncio.sleep(0)
        found: Document | None = self._c.find_one(dict(flt))
        return found

    async def find(
        self, flt: Filter, *, sort: Sequence[tuple[str, int]] = (), limit: int = 0
    ) -> list[Document]:
        await asyncio.sleep(0)
        cursor = self._c.find(dict(flt))
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    async def replace_one(self, flt: Filter, doc: Document, *, upsert: bool = False) -> int:
        await asyncio.sleep(0)
        try:
            result = self._c.replace_one(dict(flt), dict(doc), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc
        return int(result.matched_count)

    async def update_one(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        await asyncio.sleep(0)
        try:
            result = self._c.update_one(dict(flt), dict(update), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc
        return int(result.matched_count)

    async def delete_one(self, flt: Filter) -> int:
        await asyncio.sleep(0)
        return int(self._c.delete_one(dict(flt)).deleted_count)

    async def create_index(self, spec: IndexSpec) -> None:
        # mongomock accepts TTL indexes but never expires documents; fine for tests.
        kwargs = index_kwargs(spec)
        if _same_index(self._c.index_information().get(spec.name), kwargs, spec):
            # As on the server, an identical index is a no-op. mongomock would otherwise
            # rebuild it and check uniqueness over every document, ignoring the partial
            # filter: two mappings without a Garoon id then fail a restart's start-up.
            return
        try:
            self._c.create_index(list(spec.keys), **kwargs)
        except OperationFailure:
            # Same name, other options (mongomock gives no code): rebuild, as on the server.
            self._c.drop_index(spec.name)
            self._c.create_index(list(spec.keys), **kwargs)

    async def index_information(self) -> dict[str, dict[str, Any]]:
        info: dict[str, dict[str, Any]] = self._c.index_information()
        return info


def _same_index(existing: dict[str, Any] | None, kwargs: dict[str, Any], spec: IndexSpec) -> bool:
    if existing is None or [tuple(k) for k in existing.get("key", ())] != list(spec.keys):
        return False
    options = ("unique", "partialFilterExpression", "expireAfterSeconds")
    return all(existing.get(name) == kwargs.get(name) for name in options)


class MemoryDatabase:
    def __init__(self, name: str | None = None, *, database: str = "kakehashi") -> None:
        if name:
            client = _SHARED.setdefault(name, mongomock.MongoClient(tz_aware=True))
        else:
            client = mongomock.MongoClient(tz_aware=True)
        self._client = client
        self._shared_name = name
        self._name = database
        self._db = client[database]

    def collection(self, name: str) -> MemoryCollection:
        return MemoryCollection(self._db[name])

    async def ping(self) -> None:
        return None

    async def drop(self) -> None:
        self._client.drop_database(self._name)
        if self._shared_name and not self._client.list_database_names():
            _SHARED.pop(self._shared_name, None)

    async def close(self) -> None:
        return None
