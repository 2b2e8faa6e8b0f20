"""Processed message ids per consumer: the bus's `ProcessedLog`, expiring by TTL."""

from __future__ import annotations

from datetime import timedelta

from kakehashi.contracts.envelope import utcnow
from kakehashi.store.backend import Database, IndexSpec
from kakehashi.store.codec import bson_datetime
from kakehashi.store.crypto import SecretBox
from kakehashi.store.repository import Repository

DEFAULT_PROCESSED_TTL = timedelta(days=7)


class ProcessedMessages(Repository):
    COLLECTION = "processed_messages"

    def __init__(self, db: Database, box: SecretBox, *, ttl: timedelta = DEFAULT_PROCESSED_TTL):
        super().__init__(db, box)
        self.ttl = ttl

    def indexes(self) -> list[IndexSpec]:
        return [IndexSpec("ttl", (("processed_at", 1),), expire_after=self.ttl)]

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        return await self._coll.find_one({"_id": _key(consumer, message_id)}) is not None

    async def mark_processed(self, consumer: str, message_id: str) -> None:
        # Upsert keeps a second mark (a redelivery racing the first) harmless.
        await self._coll.update_one(
            {"_id": _key(consumer, message_id)},
            {
                "$setOnInsert": {
                    "consumer": consumer,
                    "message_id": message_id,
                    "processed_at": bson_datetime(utcnow()),
                }
            },
            upsert=True,
        )


def _key(consumer: str, message_id: str) -> str:
    return f"{consumer}\x1f{message_id}"
