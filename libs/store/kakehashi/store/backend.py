"""The small async collection interface both backends implement.

Repositories are written once against `Collection`; `mongo.py` implements it over
`pymongo.AsyncMongoClient`, `memory.py` in memory (dicts with hash indexes, mongomock's
matcher) for tests and the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

Document = dict[str, Any]
Filter = Mapping[str, Any]


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    # Only documents matching this are indexed: lets nullable keys stay unique when set.
    partial: Mapping[str, Any] | None = None
    expire_after: timedelta | None = None


class Collection(Protocol):
    @property
    def name(self) -> str: ...

    async def insert_one(self, doc: Document) -> None:
        """Raise DuplicateKey when a unique index rejects the document."""

    async def find_one(self, flt: Filter) -> Document | None: ...

    async def find(
        self,
        flt: Filter,
        *,
        sort: Sequence[tuple[str, int]] = (),
        limit: int = 0,
    ) -> list[Document]: ...

    async def replace_one(self, flt: Filter, doc: Document, *, upsert: bool = False) -> int:
        """Return how many documents matched (0 or 1). Raise DuplicateKey on a unique clash."""

    async def update_one(
        self, flt: Filter, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        """Return how many documents matched (0 or 1)."""

    async def delete_one(self, flt: Filter) -> int: ...

    async def create_index(self, spec: IndexSpec) -> None:
        """Idempotent; an index whose options changed is rebuilt."""

    async def index_information(self) -> dict[str, dict[str, Any]]:
        """Index name -> its options, as the server reports them."""


class Database(Protocol):
    def collection(self, name: str) -> Collection: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable with a clear reason when the server is unreachable."""

    async def drop(self) -> None: ...

    async def close(self) -> None: ...
