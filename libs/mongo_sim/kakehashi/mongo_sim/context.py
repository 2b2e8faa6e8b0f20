"""What every command handler gets: the data, the open cursors, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kakehashi.mongo_sim.cursors import CursorStore
from kakehashi.mongo_sim.errors import CommandError

Document = dict[str, Any]


@dataclass
class Context:
    client: Any  # mongomock.MongoClient (untyped): every database of this server
    cursors: CursorStore
    connection_id: int
    peer: str

    def collection(self, db: str, name: Any) -> Any:
        if not isinstance(name, str) or not name:
            raise CommandError(73, f"collection name must be a non-empty string, not {name!r}")
        return self.client[db][name]

    def exists(self, db: str, name: str) -> bool:
        return name in self.client[db].list_collection_names()

    def materialize(self, db: str, name: str) -> None:
        """Keep a collection a write created, even once empty: mongomock forgets a collection
        with no documents and no index, the server does not."""
        if not self.exists(db, name):
            self.client[db].create_collection(name)

    def require(self, db: str, name: Any) -> Any:
        """The collection, or NamespaceNotFound as the server gives for index commands."""
        coll = self.collection(db, name)
        if not self.exists(db, name):
            raise CommandError(26, f"ns does not exist: {db}.{name}")
        return coll


def int_arg(cmd: Document, name: str, default: int | None = None) -> int | None:
    value = cmd.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CommandError(14, f"{name} must be a number, not {type(value).__name__}")
    return int(value)


def doc_arg(cmd: Document, name: str) -> Document:
    value = cmd.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CommandError(14, f"{name} must be a document, not {type(value).__name__}")
    return value
