"""Mappings: the three-way record per synced event, guarded by unique keys and a revision."""

from __future__ import annotations

import builtins
import logging

from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.store.backend import IndexSpec
from kakehashi.store.repository import Repository

log = logging.getLogger(__name__)


def _unique_when_set(name: str, field: str) -> IndexSpec:
    # Only string keys are indexed, so any number of mappings may still lack this side's id.
    return IndexSpec(
        name,
        (("tenant_id", 1), (field, 1)),
        unique=True,
        partial={field: {"$type": "string"}},
    )


class MappingRepository(Repository):
    COLLECTION = "mappings"

    def indexes(self) -> builtins.list[IndexSpec]:
        return [
            _unique_when_set("tenant_garoon_id", "garoon_id"),
            _unique_when_set("tenant_graph_ical_uid", "graph_ical_uid"),
            IndexSpec("user_link", (("user_link_id", 1),)),
            IndexSpec("series", (("series_mapping_id", 1),)),
            # Not unique: a tombstone of an unknown delete keeps the id it saw (decide.py).
            IndexSpec("tenant_graph_id", (("tenant_id", 1), ("graph.id", 1))),
        ]

    async def get(self, mapping_id: str) -> Mapping | None:
        return await self._one({"_id": mapping_id})

    async def by_garoon_id(self, tenant_id: str, garoon_id: str) -> Mapping | None:
        return await self._one({"tenant_id": tenant_id, "garoon_id": garoon_id})

    async def by_ical_uid(self, tenant_id: str, ical_uid: str) -> Mapping | None:
        return await self._one({"tenant_id": tenant_id, "graph_ical_uid": ical_uid})

    async def by_graph_id(self, tenant_id: str, graph_id: str) -> Mapping | None:
        """The mapping whose Graph record has this event id (a series master's id, which an
        exception names as its `seriesMasterId`). A live mapping is preferred to a tombstone
        that remembers the same id."""
        found = await self._many({"tenant_id": tenant_id, "graph.id": graph_id})
        live = [m for m in found if m.state != MappingState.TOMBSTONED]
        return next(iter(live or found), None)

    async def list_for_user(self, user_link_id: str) -> builtins.list[Mapping]:
        return await self._many({"user_link_id": user_link_id})

    async def list_series_children(self, series_mapping_id: str) -> builtins.list[Mapping]:
        return await self._many({"series_mapping_id": series_mapping_id})

    async def insert(self, mapping: Mapping) -> None:
        """Raises DuplicateKey if the id, Garoon id or iCalUId is already mapped in the tenant."""
        await self._coll.insert_one(self._codec.encode(mapping))

    async def compare_and_set(self, mapping: Mapping, expected_revision: int) -> bool:
        """Store `mapping` with revision expected+1 only if the stored revision is `expected`.

        False means another writer got there first: re-read and decide again.
        Raises DuplicateKey if the new keys clash with another mapping.
        """
        new = mapping.model_copy(update={"revision": expected_revision + 1})
        matched = await self._coll.replace_one(
            {"_id": mapping.id, "revision": expected_revision}, self._codec.encode(new)
        )
        if not matched:
            log.info(
                "mapping revision race lost",
                extra={"mapping_id": mapping.id, "expected_revision": expected_revision},
            )
        return matched == 1

    async def delete(self, mapping_id: str) -> bool:
        return await self._coll.delete_one({"_id": mapping_id}) == 1

    async def _one(self, flt: dict[str, object]) -> Mapping | None:
        doc = await self._coll.find_one(flt)
        return None if doc is None else self._codec.decode(doc, Mapping)

    async def _many(self, flt: dict[str, object]) -> builtins.list[Mapping]:
        docs = await self._coll.find(flt, sort=[("_id", 1)])
        return [self._codec.decode(d, Mapping) for d in docs]
