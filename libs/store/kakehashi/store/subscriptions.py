"""Graph change-notification subscriptions (clientState encrypted)."""

from __future__ import annotations

import builtins
from datetime import datetime

from kakehashi.contracts.state import Subscription
from kakehashi.store.backend import IndexSpec
from kakehashi.store.codec import bson_datetime
from kakehashi.store.repository import Repository


class SubscriptionRepository(Repository):
    COLLECTION = "subscriptions"

    def indexes(self) -> builtins.list[IndexSpec]:
        return [
            IndexSpec("user_link", (("user_link_id", 1),)),
            IndexSpec("expires_at", (("expires_at", 1),)),
        ]

    async def upsert(self, sub: Subscription) -> None:
        await self._coll.replace_one({"_id": sub.id}, self._codec.encode(sub), upsert=True)

    async def get(self, subscription_id: str) -> Subscription | None:
        doc = await self._coll.find_one({"_id": subscription_id})
        return None if doc is None else self._codec.decode(doc, Subscription)

    async def by_user_link(self, user_link_id: str) -> builtins.list[Subscription]:
        docs = await self._coll.find({"user_link_id": user_link_id}, sort=[("expires_at", 1)])
        return [self._codec.decode(d, Subscription) for d in docs]

    async def list_expiring(self, before: datetime) -> builtins.list[Subscription]:
        """Subscriptions expiring before `before`, soonest first."""
        docs = await self._coll.find(
            {"expires_at": {"$lt": bson_datetime(before)}}, sort=[("expires_at", 1)]
        )
        return [self._codec.decode(d, Subscription) for d in docs]

    async def delete(self, subscription_id: str) -> bool:
        return await self._coll.delete_one({"_id": subscription_id}) == 1
