"""Finding the mapping an observation belongs to, through the store's unique keys.

The same lookups as the engine's in-memory `explain.find_mapping`, in the order the indexes
answer them: the side's own id (Garoon id; the iCalUId every Outlook copy of a meeting shares,
else the Graph event id), then the deterministic mapping id, then our ownership tag on the copy
(the mapping id of a create in flight, before its result recorded the new id).
"""

from __future__ import annotations

from kakehashi.contracts.messages import ObservedEvent, Side
from kakehashi.contracts.state import Mapping
from kakehashi.engine.decide import mapping_id_for
from kakehashi.store import Store


async def find(store: Store, observed: ObservedEvent) -> Mapping | None:
    tenant = observed.tenant_id
    found: Mapping | None = None
    if observed.side == Side.GAROON:
        found = await store.mappings.by_garoon_id(tenant, observed.source_id)
    else:
        if observed.ical_uid:
            found = await store.mappings.by_ical_uid(tenant, observed.ical_uid)
        if found is None:
            # A deletion carries no iCalUId (the event is gone): only its Graph id names it.
            found = await store.mappings.by_graph_id(tenant, observed.source_id)
    if found is None:
        found = await store.mappings.get(mapping_id_for(tenant, observed))
    if found is None and observed.kakehashi_tag:
        found = await store.mappings.get(observed.kakehashi_tag)
    if found is not None and found.tenant_id != tenant:
        return None  # ids are tenant-scoped: never act on another tenant's record
    return found


async def find_series(store: Store, observed: ObservedEvent) -> Mapping | None:
    """The series an occurrence observation names: the mapping whose record on the observed
    side has id `series_id` (Garoon series id, Graph series master id)."""
    if not observed.series_id:
        return None
    tenant = observed.tenant_id
    if observed.side == Side.GAROON:
        return await store.mappings.by_garoon_id(tenant, observed.series_id)
    return await store.mappings.by_graph_id(tenant, observed.series_id)
