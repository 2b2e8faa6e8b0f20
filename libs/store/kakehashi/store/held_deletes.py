"""Batches of deletions the mass-delete guard withheld, one document per (user link, side).

A pending batch is refreshed by later sweeps rather than duplicated; once decided and done
(applied or rejected) the next blocked sweep starts a new batch in the same document.
Writes compare the revision, so a sweep and an administrator never overwrite each other.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from kakehashi.contracts.state import HeldDelete, HeldDeleteStatus
from kakehashi.store.backend import IndexSpec
from kakehashi.store.repository import Repository

OPEN = (HeldDeleteStatus.PENDING, HeldDeleteStatus.CONFIRMED)


def held_delete_id(user_link_id: str, side: str) -> str:
    return f"{user_link_id}\x1f{side}"


class HeldDeleteRepository(Repository):
    COLLECTION = "held_deletes"

    def indexes(self) -> builtins.list[IndexSpec]:
        return [IndexSpec("tenant_status", (("tenant_id", 1), ("status", 1)))]

    async def get(self, user_link_id: str, side: str) -> HeldDelete | None:
        doc = await self._coll.find_one({"_id": held_delete_id(user_link_id, side)})
        return None if doc is None else self._codec.decode(doc, HeldDelete)

    async def list(
        self, tenant_id: str, *, user_link_id: str | None = None
    ) -> builtins.list[HeldDelete]:
        """A tenant's batches (or one user's), oldest first."""
        flt: dict[str, object] = {"tenant_id": tenant_id}
        if user_link_id is not None:
            flt["user_link_id"] = user_link_id
        docs = await self._coll.find(flt, sort=[("first_seen", 1), ("_id", 1)])
        return [self._codec.decode(d, HeldDelete) for d in docs]

    async def hold(
        self,
        *,
        tenant_id: str,
        user_link_id: str,
        side: str,
        mapping_ids: builtins.list[str],
        reason: str,
        now: datetime,
    ) -> HeldDelete | None:
        """Record what a sweep withheld. None when a confirmed batch still waits to be applied
        (it is not replaced) or another writer got there first (the next sweep records it)."""
        current = await self.get(user_link_id, side)
        if current is not None and current.status == HeldDeleteStatus.CONFIRMED:
            return None
        if current is not None and current.status == HeldDeleteStatus.PENDING:
            new = current.model_copy(
                update={"mapping_ids": sorted(mapping_ids), "reason": reason, "last_seen": now}
            )
        else:
            new = HeldDelete(
                id=held_delete_id(user_link_id, side),
                tenant_id=tenant_id,
                user_link_id=user_link_id,
                side=side,
                mapping_ids=sorted(mapping_ids),
                reason=reason,
                first_seen=now,
                last_seen=now,
                revision=current.revision if current is not None else 0,
            )
        if current is None:
            await self._coll.replace_one({"_id": new.id}, self._codec.encode(new), upsert=True)
            return new
        return new if await self.compare_and_set(new, current.revision) else None

    async def compare_and_set(self, held: HeldDelete, expected_revision: int) -> bool:
        """Store `held` with revision expected+1 only if the stored revision is `expected`."""
        new = held.model_copy(update={"revision": expected_revision + 1})
        matched = await self._coll.replace_one(
            {"_id": held.id, "revision": expected_revision}, self._codec.encode(new)
        )
        return matched == 1
