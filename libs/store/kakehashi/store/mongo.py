"""`Collection` over pymongo's native asyncio client (motor is end-of-life)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from kakehashi.store.backend import Document, Filter, IndexSpec
from kakehashi.store.errors import DuplicateKey, StoreUnavailable

log = logging.getLogger(__name__)

# Server codes for "an index with this name exists with other options/keys".
_INDEX_CONFLICT_CODES = {85, 86}


def index_kwargs(spec: IndexSpec) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"name": spec.name}
    if spec.unique:
        kwargs["unique"] = True
    if spec.partial is not None:
        kwargs["partialFilterExpression"] = dict(spec.partial)
    if spec.expire_after is not None:
        kwargs["expireAfterSeconds"] = int(spec.expire_after.total_seconds())
    return kwargs


class MongoCollection:
    def __init__(self, coll: AsyncCollection[Document]) -> None:
        self._c = coll

    @property
    def name(self) -> str:
        return self._c.name

    async def insert_one(self, doc: Document) -> None:
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _dup_detail(exc)) from exc

    async def find_one(self, flt: Filter) -> Document | None:
        return await self._c.find_one(dict(flt))

    async def find(
        self, flt: Filter, *, sort: Sequence[tuple[str, int]] = (), limit: int = 0
    ) -> list[Document]:
        cursor = self._c.find(dict(flt))
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def replace_one(self, flt: Filter, doc: Document, *, upsert: bool = False) -> int:
        try:
            result = await self._c.replace_one(dict(flt), doc, upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _dup_detail(exc)) from exc
        return result.matched_count

    async def update_one(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        try:
            result = await self._c.update_one(dict(flt), dict(update), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _dup_detail(exc)) from exc
        return result.matched_count

    async def delete_one(self, flt: Filter) -> int:
        result = await self._c.delete_one(dict(flt))
        return result.deleted_count

    async def create_index(self, spec: IndexSpec) -> None:
        kwargs = index_kwargs(spec)
        try:
            await self._c.create_index(list(spec.keys), **kwargs)
        except OperationFailure as exc:
            if exc.code not in _INDEX_CONFLICT_CODES:
                raise
            # Options changed (e.g. a new TTL in config): rebuild rather than refuse to start.
            log.warning(
                "rebuilding index with changed options",
                extra={"collection": self.name, "index": spec.name},
            )
            await self._c.drop_index(spec.name)
            await self._c.create_index(list(spec.keys), **kwargs)

    async def index_information(self) -> dict[str, dict[str, Any]]:
        info = await self._c.index_information()
        return {name: dict(options) for name, options in info.items()}


def _dup_detail(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    return str(details.get("keyValue") or details.get("errmsg") or exc)


class MongoDatabase:
    def __init__(self, url: str, database: str, *, timeout_ms: int = 3000) -> None:
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
        )
        self._db = self._client[database]
        self._name = database

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._db[name])

    async def ping(self) -> None:
        try:
            await self._db.command("ping")
        except PyMongoError as exc:
            # The URL may carry a password: name the database, never the URL.
            raise StoreUnavailable(
                f"MongoDB unreachable for database {self._name!r}: {type(exc).__name__}"
            ) from exc

    async def drop(self) -> None:
        await self._client.drop_database(self._name)

    async def close(self) -> None:
        await self._client.close()
