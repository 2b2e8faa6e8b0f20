"""Mappings: duplicates impossible at the database level, and revision compare-and-set."""

from __future__ import annotations

import asyncio

import pytest

from kakehashi.contracts.state import MappingState, SideRecord
from kakehashi.store import DuplicateKey, Store
from tests.store.factories import mapping, weekly_standup


async def test_mapping_with_merge_base_round_trips(store: Store) -> None:
    m = mapping(garoon_id="g-1", ical_uid="uid-1").model_copy(update={"base": weekly_standup()})
    await store.mappings.insert(m)

    assert await store.mappings.get(m.id) == m
    assert await store.mappings.by_garoon_id("acme", "g-1") == m
    assert await store.mappings.by_ical_uid("acme", "uid-1") == m
    assert await store.mappings.by_garoon_id("other-tenant", "g-1") is None


async def test_second_mapping_for_same_garoon_event_is_rejected(store: Store) -> None:
    await store.mappings.insert(mapping(garoon_id="g-1"))
    with pytest.raises(DuplicateKey):
        await store.mappings.insert(mapping(garoon_id="g-1"))
    # The same Garoon id in another tenant is a different event.
    await store.mappings.insert(mapping(garoon_id="g-1", tenant_id="other"))


async def test_second_mapping_for_same_ical_uid_is_rejected(store: Store) -> None:
    await store.mappings.insert(mapping(ical_uid="uid-1"))
    with pytest.raises(DuplicateKey):
        await store.mappings.insert(mapping(ical_uid="uid-1", garoon_id="g-2"))
    assert len(await store.mappings.list_for_user("link-1")) == 1


async def test_mappings_missing_a_side_do_not_collide(store: Store) -> None:
    # Pending creates know only one side's id; any number of them may coexist.
    await store.mappings.insert(mapping(garoon_id="g-1"))
    await store.mappings.insert(mapping(garoon_id="g-2"))
    await store.mappings.insert(mapping(ical_uid="uid-1"))
    await store.mappings.insert(mapping(ical_uid="uid-2"))
    assert len(await store.mappings.list_for_user("link-1")) == 4


async def test_compare_and_set_bumps_revision(store: Store) -> None:
    m = mapping(garoon_id="g-1")
    await store.mappings.insert(m)

    assert await store.mappings.compare_and_set(m.model_copy(update={"graph_ical_uid": "u"}), 0)
    stored = await store.mappings.get(m.id)
    assert stored is not None
    assert (stored.revision, stored.graph_ical_uid) == (1, "u")
    # A writer still holding revision 0 is refused and changes nothing.
    stale = m.model_copy(update={"state": MappingState.TOMBSTONED})
    assert not await store.mappings.compare_and_set(stale, 0)
    assert await store.mappings.get(m.id) == stored


async def test_compare_and_set_race_has_exactly_one_winner(store: Store) -> None:
    m = mapping(garoon_id="g-1")
    await store.mappings.insert(m)
    a = m.model_copy(update={"graph_ical_uid": "uid-from-a"})
    b = m.model_copy(update={"state": MappingState.TOMBSTONED})

    results = await asyncio.gather(
        store.mappings.compare_and_set(a, 0), store.mappings.compare_and_set(b, 0)
    )

    assert sorted(results) == [False, True]
    winner = a if results[0] else b
    assert await store.mappings.get(m.id) == winner.model_copy(update={"revision": 1})


async def test_compare_and_set_cannot_steal_another_mappings_key(store: Store) -> None:
    await store.mappings.insert(mapping(ical_uid="uid-1"))
    m = mapping(garoon_id="g-2")
    await store.mappings.insert(m)
    with pytest.raises(DuplicateKey):
        await store.mappings.compare_and_set(m.model_copy(update={"graph_ical_uid": "uid-1"}), 0)


async def test_series_children_and_delete(store: Store) -> None:
    series = mapping(garoon_id="s-1")
    child = mapping(garoon_id="s-1-occ", series_mapping_id=series.id)
    await store.mappings.insert(series)
    await store.mappings.insert(child)

    assert await store.mappings.list_series_children(series.id) == [child]
    assert await store.mappings.delete(child.id)
    assert not await store.mappings.delete(child.id)
    assert await store.mappings.list_series_children(series.id) == []


async def test_by_graph_id_finds_the_mapping_of_a_graph_event(store: Store) -> None:
    rec = SideRecord(id="AAMk-master")
    live = mapping(ical_uid="uid-1").model_copy(update={"graph": rec})
    # A tombstone of an unknown delete remembers the same Graph id: the live one wins.
    tomb = mapping().model_copy(update={"graph": rec, "state": MappingState.TOMBSTONED})
    await store.mappings.insert(tomb)
    await store.mappings.insert(live)
    assert await store.mappings.by_graph_id("acme", "AAMk-master") == live
    assert await store.mappings.by_graph_id("other-tenant", "AAMk-master") is None
    assert await store.mappings.by_graph_id("acme", "AAMk-other") is None
    await store.mappings.delete(live.id)
    assert await store.mappings.by_graph_id("acme", "AAMk-master") == tomb
    info = await store.db.collection("mappings").index_information()
    assert "tenant_graph_id" in info
