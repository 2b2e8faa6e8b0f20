"""`Collection` in memory: the stand-in for tests and the sandbox.

Documents live in a dict by `_id`, and every index ensured on a collection is also a hash map
(memory_index.py), so an equality lookup or a unique check costs what it costs on the server
instead of a scan of the collection (mongomock scans for every query and every unique check,
and the mappings grow with every synced event). mongomock still supplies the semantics:
its matcher decides what a filter matches, its sort keys order results, and a scratch
mongomock collection applies update operators and builds upserted documents. Stored
documents are copies, and so is everything handed out.

Each method runs without awaiting in between, so every single operation is atomic just as
on the server (compare-and-set stays honest).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import bson
import mongomock
from bson.errors import InvalidDocument
from pymongo.errors import WriteError

from kakehashi.store.backend import Document, Filter, IndexSpec
from kakehashi.store.errors import DuplicateKey
from kakehashi.store.memory_index import HashIndex, aware, filter_applies, sort_key, stored
from kakehashi.store.mongo import index_kwargs

# Named in-memory databases, so services started in one process can share one store.
_SHARED: dict[str, dict[str, _Data]] = {}
# MongoDB's TTL monitor removes expired documents once a minute, not on every read.
TTL_SWEEP_SECONDS = 60.0
_SCRATCH: list[Any] = []  # one scratch collection; every use is synchronous, start to end


class _Clash(Exception):
    """A unique index refuses the write (the collection turns it into DuplicateKey)."""


def _scratch() -> Any:
    if not _SCRATCH:
        # Not tz-aware: what it hands back is the stored form (naive UTC), ready to keep.
        _SCRATCH.append(mongomock.MongoClient().db.scratch)
    return _SCRATCH[0]


class _Data:
    """One collection's documents (in insertion order, as mongomock returned them) and indexes."""

    def __init__(self) -> None:
        self.docs: dict[Any, Document] = {}
        self.order: dict[Any, int] = {}
        self.indexes: dict[str, HashIndex] = {}
        self.swept = time.monotonic()
        self._seq = itertools.count()

    def candidates(self, flt: Mapping[str, Any]) -> Iterable[Any]:
        doc_id = flt.get("_id")
        if isinstance(doc_id, str | int) and not isinstance(doc_id, bool):
            return (doc_id,) if doc_id in self.docs else ()
        best: set[Any] | None = None
        for index in self.indexes.values():
            found = index.lookup(flt)
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        if best is None:
            return list(self.docs)
        return sorted(best, key=self.order.__getitem__)

    def matches(self, flt: Mapping[str, Any]) -> list[Document]:
        self.sweep()
        spec = stored(dict(flt))
        found = [self.docs[i] for i in self.candidates(spec)]
        return [d for d in found if filter_applies(spec, d)]

    def put(self, doc: Document, old: Document | None) -> None:
        """Store `doc` (already a private copy), replacing `old` (same `_id`) if given."""
        doc_id = doc["_id"]
        for name, index in self.indexes.items():
            if index.spec.unique and index.clashes(doc_id, doc, self.docs):
                raise _Clash(f"E11000 duplicate key error index: {name}")
        if old is not None:
            for index in self.indexes.values():
                index.remove(doc_id, old)
        elif doc_id in self.docs:
            raise _Clash(f"E11000 duplicate key error index: _id_ ({doc_id!r})")
        else:
            self.order[doc_id] = next(self._seq)
        self.docs[doc_id] = doc
        for index in self.indexes.values():
            index.add(doc_id, doc)

    def clear(self) -> None:
        self.docs.clear()
        self.order.clear()
        self.indexes.clear()

    def remove(self, doc: Document) -> None:
        doc_id = doc["_id"]
        del self.docs[doc_id]
        del self.order[doc_id]
        for index in self.indexes.values():
            index.remove(doc_id, doc)

    def sweep(self) -> None:
        now = time.monotonic()
        if now - self.swept < TTL_SWEEP_SECONDS:
            return
        self.swept = now
        for index in list(self.indexes.values()):
            if index.spec.expire_after is not None:
                field = index.fields[0]
                for doc in [d for d in self.docs.values() if _expired(d, field, index.spec)]:
                    self.remove(doc)

    def apply(self, flt: Mapping[str, Any], op: str, change: Mapping[str, Any], doc: Any) -> Any:
        """The document `op` (replace_one/update_one) makes of `doc`, or inserts on an upsert
        when `doc` is None, as mongomock computes it."""
        scratch = _scratch()
        scratch.delete_many({})
        if doc is not None:
            scratch.insert_one(dict(doc))
        getattr(scratch, op)(dict(flt), dict(change), upsert=doc is None)
        return scratch.find_one_and_delete({})


def _expired(doc: Document, field: str, spec: IndexSpec) -> bool:
    """As MongoDB's TTL monitor decides: a date, or an array's earliest date, has aged."""
    assert spec.expire_after is not None
    value = doc.get(field)
    dates = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, datetime)]
    if not dates:
        return False
    cutoff = datetime.now(UTC).replace(tzinfo=None) - spec.expire_after
    return min(dates) <= cutoff


def _shaped(doc: Mapping[str, Any]) -> Document:
    """A private copy of `doc` as stored, after the checks mongomock made on insert."""
    if not all(isinstance(k, str) for k in doc):
        raise ValueError("Document keys must be strings")
    for key in doc:
        if key.startswith("$"):
            raise InvalidDocument(f'Top-level field names cannot start with the "$" sign ({key})')
    bson.encode(doc)  # what the server could not store is refused here too
    shaped: Document = stored(dict(doc))
    return shaped


def _sorted(docs: list[Document], sort: Sequence[tuple[str, int]]) -> list[Document]:
    for key, direction in reversed(sort):  # stable sorts, last key first (as mongomock)
        docs = sorted(docs, key=lambda d: sort_key(key, d), reverse=direction < 0)
    return docs


class MemoryCollection:
    def __init__(self, name: str, data: _Data) -> None:
        self._name = name
        self._d = data

    @property
    def name(self) -> str:
        return self._name

    def _put(self, doc: Document, old: Document | None) -> None:
        try:
            self._d.put(doc, old)
        except _Clash as exc:
            raise DuplicateKey(self._name, str(exc)) from None

    async def insert_one(self, doc: Document) -> None:
        await asyncio.sleep(0)  # a scheduling point, as real I/O would have
        self._d.sweep()
        new = _shaped(doc)
        new.setdefault("_id", bson.ObjectId())
        self._put(new, None)

    async def find_one(self, flt: Filter) -> Document | None:
        await asyncio.sleep(0)
        found = self._d.matches(flt)
        return aware(found[0]) if found else None

    async def find(
        self, flt: Filter, *, sort: Sequence[tuple[str, int]] = (), limit: int = 0
    ) -> list[Document]:
        await asyncio.sleep(0)
        found = self._d.matches(flt)
        if sort:
            found = _sorted(found, sort)
        if limit:
            found = found[:limit]
        return [aware(d) for d in found]

    async def replace_one(self, flt: Filter, doc: Document, *, upsert: bool = False) -> int:
        await asyncio.sleep(0)
        found = self._d.matches(flt)
        if not found:
            if upsert:
                self._upsert(flt, "replace_one", doc)
            return 0
        old = found[0]
        if doc.get("_id", old["_id"]) != old["_id"]:
            raise WriteError("the (immutable) field '_id' was found to have been altered", 66)
        self._put(_shaped({**doc, "_id": old["_id"]}), old)
        return 1

    async def update_one(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        await asyncio.sleep(0)
        found = self._d.matches(flt)
        if not found:
            if upsert:
                self._upsert(flt, "update_one", update)
            return 0
        old = found[0]
        new = self._d.apply(flt, "update_one", update, old)
        if new is None or new["_id"] != old["_id"]:
            raise WriteError("the (immutable) field '_id' was found to have been altered", 66)
        self._put(new, old)
        return 1

    def _upsert(self, flt: Filter, op: str, change: Mapping[str, Any]) -> None:
        # No await in here: the caller's lookup and this insert stay one atomic step.
        self._put(_fast_upsert(flt, op, change) or self._d.apply(flt, op, change, None), None)

    async def delete_one(self, flt: Filter) -> int:
        await asyncio.sleep(0)
        found = self._d.matches(flt)
        if not found:
            return 0
        self._d.remove(found[0])
        return 1

    async def create_index(self, spec: IndexSpec) -> None:
        existing = self._d.indexes.get(spec.name)
        if existing is not None and existing.spec == spec:
            return  # as on the server, an identical index is a no-op
        index = HashIndex(spec)
        for doc_id, doc in self._d.docs.items():
            if spec.unique and index.clashes(doc_id, doc, self._d.docs):
                raise DuplicateKey(self._name, f"index build {spec.name}: {doc_id!r}")
            index.add(doc_id, doc)
        # Same name, other options: rebuilt, as on the server.
        self._d.indexes[spec.name] = index

    async def index_information(self) -> dict[str, dict[str, Any]]:
        info: dict[str, dict[str, Any]] = {"_id_": {"key": [("_id", 1)], "v": 2}}
        for name, index in self._d.indexes.items():
            options = index_kwargs(index.spec)
            options.pop("name")
            info[name] = {"key": list(index.spec.keys), "v": 2, **options}
        return info


_SIMPLE_UPDATES = frozenset({"$set", "$setOnInsert"})


def _fast_upsert(flt: Filter, op: str, update: Mapping[str, Any]) -> Document | None:
    """The document an upsert of `{"_id": x}` with plain top-level `$set`/`$setOnInsert`
    inserts (the processed-message log's write), without the scratch collection."""
    if op != "update_one" or set(flt) != {"_id"} or isinstance(flt["_id"], Mapping):
        return None
    doc: Document = {"_id": flt["_id"]}
    for name, fields in update.items():
        if name not in _SIMPLE_UPDATES or not isinstance(fields, Mapping):
            return None
        for key, value in fields.items():
            if "." in key or key.startswith("$") or key in doc:
                return None
            doc[key] = value
    return _shaped(doc)


class MemoryDatabase:
    def __init__(self, name: str | None = None, *, database: str = "kakehashi") -> None:
        self._shared_name = name
        self._name = database
        key = f"{name}\x1f{database}"
        self._collections = _SHARED.setdefault(key, {}) if name else {}
        self._key = key

    def collection(self, name: str) -> MemoryCollection:
        return MemoryCollection(name, self._collections.setdefault(name, _Data()))

    async def ping(self) -> None:
        return None

    async def drop(self) -> None:
        for data in self._collections.values():
            data.clear()  # collections still held by repositories see the drop too
        self._collections.clear()
        if self._shared_name:
            _SHARED.pop(self._key, None)

    async def close(self) -> None:
        return None
