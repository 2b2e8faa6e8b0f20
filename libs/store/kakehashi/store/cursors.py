"""Small per-(user link, name) values: Graph delta links and Garoon poll cursors."""

from __future__ import annotations

from kakehashi.contracts.envelope import utcnow
from kakehashi.store.backend import Database
from kakehashi.store.codec import bson_datetime
from kakehashi.store.crypto import SecretBox
from kakehashi.store.errors import DuplicateKey
from kakehashi.store.repository import Repository


class CursorRepository(Repository):
    def __init__(self, db: Database, box: SecretBox, *, collection: str) -> None:
        self.COLLECTION = collection
        super().__init__(db, box)

    async def get(self, user_link_id: str, name: str) -> str | None:
        doc = await self._coll.find_one({"_id": _key(user_link_id, name)})
        return None if doc is None else str(doc["value"])

    async def set(self, user_link_id: str, name: str, value: str) -> None:
        await self._coll.replace_one(
            {"_id": _key(user_link_id, name)},
            {
                "user_link_id": user_link_id,
                "name": name,
                "value": value,
                "updated_at": bson_datetime(utcnow()),
            },
            upsert=True,
        )

    async def claim(self, user_link_id: str, name: str, value: str) -> bool:
        """Set the value only when none is set: False when another writer was first."""
        try:
            await self._coll.insert_one(
                {
                    "_id": _key(user_link_id, name),
                    "user_link_id": user_link_id,
                    "name": name,
                    "value": value,
                    "updated_at": bson_datetime(utcnow()),
                }
            )
        except DuplicateKey:
            return False
        return True

    async def swap(self, user_link_id: str, name: str, old: str, new: str) -> bool:
        """Replace the value only while it is still `old` (compare-and-set)."""
        matched = await self._coll.update_one(
            {"_id": _key(user_link_id, name), "value": old},
            {"$set": {"value": new, "updated_at": bson_datetime(utcnow())}},
        )
        return matched == 1

    async def delete(self, user_link_id: str, name: str) -> bool:
        """Forget a cursor (e.g. Graph answered 410 Gone: start a full sync)."""
        return await self._coll.delete_one({"_id": _key(user_link_id, name)}) == 1


def _key(user_link_id: str, name: str) -> str:
    return f"{user_link_id}\x1f{name}"
