"""Held mass deletes: one batch per user and side, refreshed by later sweeps, never clobbered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kakehashi.contracts.state import HeldDeleteStatus
from kakehashi.store import Store

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


async def _hold(store: Store, ids: list[str], at: datetime, user: str = "u1") -> None:
    await store.held_deletes.hold(
        tenant_id="t1",
        user_link_id=user,
        side="garoon",
        mapping_ids=ids,
        reason="listing empty",
        now=at,
    )


async def test_later_sweeps_refresh_the_pending_batch(store: Store) -> None:
    await _hold(store, ["m2", "m1"], T0)
    await _hold(store, ["m1", "m2", "m3"], T0 + timedelta(minutes=5))
    await _hold(store, ["x"], T0, user="u2")
    [held] = await store.held_deletes.list("t1", user_link_id="u1")
    assert held.mapping_ids == ["m1", "m2", "m3"]
    assert held.status == HeldDeleteStatus.PENDING
    assert held.first_seen == T0
    assert held.last_seen == T0 + timedelta(minutes=5)
    assert len(await store.held_deletes.list("t1")) == 2
    assert await store.held_deletes.list("other") == []


async def test_a_confirmed_batch_is_not_replaced_and_a_closed_one_is(store: Store) -> None:
    await _hold(store, ["m1"], T0)
    held = await store.held_deletes.get("u1", "garoon")
    assert held is not None
    confirmed = held.model_copy(update={"status": HeldDeleteStatus.CONFIRMED})
    assert await store.held_deletes.compare_and_set(confirmed, held.revision)
    assert not await store.held_deletes.compare_and_set(confirmed, held.revision)  # stale
    await _hold(store, ["m1", "m9"], T0 + timedelta(minutes=5))
    kept = await store.held_deletes.get("u1", "garoon")
    assert kept is not None
    assert kept.status == HeldDeleteStatus.CONFIRMED
    assert kept.mapping_ids == ["m1"]
    applied = kept.model_copy(update={"status": HeldDeleteStatus.APPLIED})
    assert await store.held_deletes.compare_and_set(applied, kept.revision)
    later = T0 + timedelta(hours=1)
    await _hold(store, ["m9"], later)
    fresh = await store.held_deletes.get("u1", "garoon")
    assert fresh is not None
    assert fresh.status == HeldDeleteStatus.PENDING
    assert fresh.mapping_ids == ["m9"]
    assert fresh.first_seen == later
