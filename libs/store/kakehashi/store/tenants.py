"""Tenants: one Garoon + Microsoft 365 pair with credentials and sync policy."""

from __future__ import annotations

import builtins

from kakehashi.contracts.state import Tenant
from kakehashi.store.repository import Repository


class TenantRepository(Repository):
    COLLECTION = "tenants"

    async def get(self, tenant_id: str) -> Tenant | None:
        doc = await self._coll.find_one({"_id": tenant_id})
        return None if doc is None else self._codec.decode(doc, Tenant)

    async def put(self, tenant: Tenant) -> None:
        await self._coll.replace_one({"_id": tenant.id}, self._codec.encode(tenant), upsert=True)

    async def list(self) -> builtins.list[Tenant]:
        docs = await self._coll.find({}, sort=[("_id", 1)])
        return [self._codec.decode(d, Tenant) for d in docs]
