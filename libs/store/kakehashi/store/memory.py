"""`Collection` over mongomock: the in-memory stand-in for tests and the sandbox.

mongomock is synchronous; each method runs one mongomock call without awaiting in between,
so every single operation is atomic just as on the server (compare-and-set stays honest).

mongomock scans every document for every query and, with a TTL index, checks every document's
expiry on every access: the processed-message log grows by one document per message, so the
sandbox's cost per message grew with its age. Two shortcuts keep it flat (see `_FastPaths`).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import mongomock
from pymongo.errors import DuplicateKeyError, OperationFailure

from kakehashi.store.backend import Document, Filter, IndexSpec
from kakehashi.store.errors import DuplicateKey
from kakehashi.store.mongo import index_kwargs

# Named in-memory databases, so services started in one process can share one store.
_SHARED: dict[str, Any] = {}
# MongoDB's TTL monitor removes expired documents once a minute, not on every read.
TTL_SWEEP_SECONDS = 60.0
_SIMPLE_UPDATES = frozenset({"$set", "$setOnInsert"})


class _FastPaths:
    """Per mongomock collection store: TTL sweeps at the server's pace, and `_id` lookups.

    Relies on two internals of the mongomock version in uv.lock: `CollectionStore._documents`
    (the dict by `_id`) and `_ttl_indexes` (the indexes it expires on every access).
    """

    def __init__(self) -> None:
        self.ttl: dict[str, Any] = {}
        self.swept = time.monotonic()

    def adopt_ttl(self, store: Any) -> None:
        self.ttl.update(store._ttl_indexes)
        store._ttl_indexes.clear()

    def sweep(self, store: Any) -> None:
        now = time.monotonic()
        if self.ttl and now - self.swept >= TTL_SWEEP_SECONDS:
            self.swept = now
            for name, index in self.ttl.items():
                if name in store.indexes:  # not dropped since
                    store._expire_documents(index)


_FAST: weakref.WeakKeyDictionary[Any, _FastPaths] = weakref.WeakKeyDictionary()


def _id_only(flt: Filter) -> Any:
    """The `_id` of a filter that is exactly `{"_id": <str or int>}`, else None."""
    if len(flt) == 1:
        value = flt.get("_id")
        if isinstance(value, str | int):
            return value
    return None


def _upsert_insert(flt: Filter, update: Mapping[str, Any]) -> Document | None:
    """The document an upsert of a missing `_id` inserts, when the update is plain
    `$set`/`$setOnInsert` of top-level fields (else None: let mongomock do it)."""
    doc: Document = dict(flt)
    for op, fields in update.items():
        if op not in _SIMPLE_UPDATES or not isinstance(fields, Mapping):
            return None
        for key, value in fields.items():
            if "." in key or key.startswith("$") or key in doc:
                return None
            doc[key] = value
    return doc


class MemoryCollection:
    def __init__(self, coll: Any) -> None:
        self._c = coll
        self._store = coll._store
        self._fast = _FAST.setdefault(self._store, _FastPaths())

    def _missing(self, flt: Filter) -> bool:
        """True when the filter names one `_id` that is not there: no scan needed."""
        self._fast.sweep(self._store)
        key = _id_only(flt)
        return key is not None and key not in self._store._documents

    @property
    def name(self) -> str:
        return str(self._c.name)

    async def insert_one(self, doc: Document) -> None:
        await asyncio.sleep(0)  # a scheduling point, as real I/O would have
        self._fast.sweep(self._store)
        try:
            self._c.insert_one(dict(doc))
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc

    async def find_one(self, flt: Filter) -> Document | None:
        await asyncio.sleep(0)
        if self._missing(flt):
            return None
        found: Document | None = self._c.find_one(dict(flt))
        return found

    async def find(
        self, flt: Filter, *, sort: Sequence[tuple[str, int]] = (), limit: int = 0
    ) -> list[Document]:
        await asyncio.sleep(0)
        self._fast.sweep(self._store)
        cursor = self._c.find(dict(flt))
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    async def replace_one(self, flt: Filter, doc: Document, *, upsert: bool = False) -> int:
        await asyncio.sleep(0)
        if self._missing(flt) and not upsert:
            return 0
        try:
            result = self._c.replace_one(dict(flt), dict(doc), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc
        return int(result.matched_count)

    async def update_one(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        await asyncio.sleep(0)
        if self._missing(flt):
            if not upsert:
                return 0
            inserted = _upsert_insert(flt, update)
            if inserted is not None:  # what mongomock's upsert inserts, without its scan
                try:
                    self._c.insert_one(inserted)
                except DuplicateKeyError as exc:
                    raise DuplicateKey(self.name, str(exc)) from exc
                return 0
        try:
            result = self._c.update_one(dict(flt), dict(update), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, str(exc)) from exc
        return int(result.matched_count)

    async def delete_one(self, flt: Filter) -> int:
        await asyncio.sleep(0)
        if self._missing(flt):
            return 0
        return int(self._c.delete_one(dict(flt)).deleted_count)

    async def create_index(self, spec: IndexSpec) -> None:
        # TTL indexes are swept by `_FastPaths` once a minute, as the server does.
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
        self._fast.adopt_ttl(self._store)

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
