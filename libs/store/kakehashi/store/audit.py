"""Audit trail of sync decisions, expiring by TTL."""

from __future__ import annotations

from datetime import timedelta

from kakehashi.contracts.state import AuditEntry
from kakehashi.store.backend import Database, IndexSpec
from kakehashi.store.crypto import SecretBox
from kakehashi.store.repository import Repository

DEFAULT_AUDIT_TTL = timedelta(days=90)


class AuditRepository(Repository):
    COLLECTION = "audit"

    def __init__(self, db: Database, box: SecretBox, *, ttl: timedelta = DEFAULT_AUDIT_TTL):
        super().__init__(db, box)
        self.ttl = ttl

    def indexes(self) -> list[IndexSpec]:
        return [
            IndexSpec("ttl", (("at", 1),), expire_after=self.ttl),
            IndexSpec("mapping", (("mapping_id", 1), ("at", 1))),
            IndexSpec("user_link", (("user_link_id", 1), ("at", -1))),
        ]

    async def append(self, entry: AuditEntry) -> None:
        await self._coll.insert_one(self._codec.encode(entry))

    async def for_mapping(self, mapping_id: str) -> list[AuditEntry]:
        """Oldest first: the story of one event."""
        docs = await self._coll.find({"mapping_id": mapping_id}, sort=[("at", 1), ("_id", 1)])
        return [self._codec.decode(d, AuditEntry) for d in docs]

    async def for_user(self, user_link_id: str, limit: int = 100) -> list[AuditEntry]:
        """Newest first, at most `limit`."""
        docs = await self._coll.find(
            {"user_link_id": user_link_id}, sort=[("at", -1), ("_id", -1)], limit=limit
        )
        return [self._codec.decode(d, AuditEntry) for d in docs]
