"""`Store`: every repository over one database, and `open_store` to pick the backend."""

from __future__ import annotations

import logging
from datetime import timedelta

from kakehashi.store.audit import DEFAULT_AUDIT_TTL, AuditRepository
from kakehashi.store.backend import Database
from kakehashi.store.crypto import SecretBox
from kakehashi.store.cursors import CursorRepository
from kakehashi.store.held_deletes import HeldDeleteRepository
from kakehashi.store.keycheck import check_key
from kakehashi.store.mappings import MappingRepository
from kakehashi.store.memory import MemoryDatabase
from kakehashi.store.mongo import MongoDatabase
from kakehashi.store.processed import DEFAULT_PROCESSED_TTL, ProcessedMessages
from kakehashi.store.subscriptions import SubscriptionRepository
from kakehashi.store.tenants import TenantRepository
from kakehashi.store.user_links import UserLinkRepository

log = logging.getLogger(__name__)

MEMORY_SCHEME = "memory://"


class Store:
    def __init__(
        self,
        db: Database,
        *,
        key: bytes,
        processed_ttl: timedelta = DEFAULT_PROCESSED_TTL,
        audit_ttl: timedelta = DEFAULT_AUDIT_TTL,
    ) -> None:
        box = SecretBox(key)
        self._box = box
        self.db = db
        self.tenants = TenantRepository(db, box)
        self.user_links = UserLinkRepository(db, box)
        self.mappings = MappingRepository(db, box)
        self.subscriptions = SubscriptionRepository(db, box)
        self.processed = ProcessedMessages(db, box, ttl=processed_ttl)
        self.audit = AuditRepository(db, box, ttl=audit_ttl)
        self.delta_links = CursorRepository(db, box, collection="delta_links")
        self.poll_cursors = CursorRepository(db, box, collection="poll_cursors")
        self.held_deletes = HeldDeleteRepository(db, box)

    async def ensure_indexes(self) -> None:
        """Create every index; safe to run at each start-up and from several replicas."""
        for repo in (
            self.tenants,
            self.user_links,
            self.mappings,
            self.subscriptions,
            self.processed,
            self.audit,
            self.delta_links,
            self.poll_cursors,
            self.held_deletes,
        ):
            await repo.ensure_indexes()
        log.info("store indexes ensured")

    async def check_key(self) -> None:
        """Raise DecryptionError at start-up if the database was written with another key."""
        await check_key(self.db, self._box)

    async def ping(self) -> None:
        """Raise StoreUnavailable when the database cannot be reached."""
        await self.db.ping()

    async def close(self) -> None:
        await self.db.close()


async def open_store(
    url: str | None,
    *,
    key: bytes,
    database: str = "kakehashi",
    processed_ttl: timedelta = DEFAULT_PROCESSED_TTL,
    audit_ttl: timedelta = DEFAULT_AUDIT_TTL,
    server_timeout_ms: int = 3000,
) -> Store:
    """`None` / `memory://` -> a private in-memory store; `memory://NAME` -> one shared per
    process under NAME; `mongodb://` / `mongodb+srv://` -> MongoDB (connects lazily; `ping()`
    tells whether it is reachable)."""
    db: Database
    if url is None or url.startswith(MEMORY_SCHEME):
        name = (url or MEMORY_SCHEME)[len(MEMORY_SCHEME) :]
        db = MemoryDatabase(name or None, database=database)
    elif url.startswith(("mongodb://", "mongodb+srv://")):
        db = MongoDatabase(url, database, timeout_ms=server_timeout_ms)
    else:
        # Show only the scheme: the rest of a URL may hold a password.
        scheme = url.split(":", 1)[0]
        raise ValueError(
            f"unsupported store URL scheme {scheme!r}: use mongodb://, mongodb+srv:// or memory://"
        )
    return Store(db, key=key, processed_ttl=processed_ttl, audit_ttl=audit_ttl)
