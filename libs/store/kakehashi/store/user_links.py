"""User links: one Garoon user <-> one Microsoft 365 mailbox per tenant."""

from __future__ import annotations

import builtins
from datetime import datetime

from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.store.backend import IndexSpec
from kakehashi.store.codec import bson_datetime
from kakehashi.store.repository import Repository

# Mail addresses compare case-insensitively; a lowercased copy carries the unique index.
_ADDRESS_KEY = "_m365_lower"


class UserLinkRepository(Repository):
    COLLECTION = "user_links"

    def indexes(self) -> builtins.list[IndexSpec]:
        return [
            IndexSpec("tenant_garoon_login", (("tenant_id", 1), ("garoon_login", 1)), unique=True),
            IndexSpec("tenant_m365_address", (("tenant_id", 1), (_ADDRESS_KEY, 1)), unique=True),
            IndexSpec("tenant_graph_user", (("tenant_id", 1), ("graph_user_id", 1))),
        ]

    async def get(self, link_id: str) -> UserLink | None:
        return await self._one({"_id": link_id})

    async def upsert(self, link: UserLink) -> None:
        """Raises DuplicateKey if another link already has this login or address."""
        doc = self._codec.encode(link, m365_lower=link.m365_address.lower())
        await self._coll.replace_one({"_id": link.id}, doc, upsert=True)

    async def by_garoon_login(self, tenant_id: str, login: str) -> UserLink | None:
        return await self._one({"tenant_id": tenant_id, "garoon_login": login})

    async def by_m365_address(self, tenant_id: str, address: str) -> UserLink | None:
        return await self._one({"tenant_id": tenant_id, _ADDRESS_KEY: address.lower()})

    async def by_graph_user_id(self, tenant_id: str, graph_user_id: str) -> UserLink | None:
        return await self._one({"tenant_id": tenant_id, "graph_user_id": graph_user_id})

    async def list(self, tenant_id: str, *, enabled_only: bool = False) -> builtins.list[UserLink]:
        flt: dict[str, object] = {"tenant_id": tenant_id}
        if enabled_only:
            flt["enabled"] = True
        docs = await self._coll.find(flt, sort=[("garoon_login", 1)])
        return [self._codec.decode(d, UserLink) for d in docs]

    async def set_status(self, link_id: str, status: LinkStatus, reason: str = "") -> bool:
        """False when no such link exists."""
        update = {"$set": {"status": LinkStatus(status).value, "reason": reason}}
        return await self._coll.update_one({"_id": link_id}, update) == 1

    async def touch_last_sync(self, link_id: str, at: datetime) -> bool:
        update = {"$set": {"last_sync_at": bson_datetime(at)}}
        return await self._coll.update_one({"_id": link_id}, update) == 1

    async def _one(self, flt: dict[str, object]) -> UserLink | None:
        doc = await self._coll.find_one(flt)
        return None if doc is None else self._codec.decode(doc, UserLink)
