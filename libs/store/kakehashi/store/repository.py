"""What every repository shares: its collection, its codec and its indexes."""

from __future__ import annotations

from kakehashi.store.backend import Collection, Database, IndexSpec
from kakehashi.store.codec import Codec
from kakehashi.store.crypto import SecretBox


class Repository:
    COLLECTION: str = ""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._coll: Collection = db.collection(self.COLLECTION)
        self._codec = Codec(box, self.COLLECTION)

    def indexes(self) -> list[IndexSpec]:
        return []

    async def ensure_indexes(self) -> None:
        for spec in self.indexes():
            await self._coll.create_index(spec)
