"""Deletions the mass-delete guard withholds: recorded as a batch, then confirmed or rejected."""

from __future__ import annotations

from kakehashi.admin import held
from kakehashi.contracts.state import HeldDelete, HeldDeleteStatus, MappingState
from tests.garoon_connector.support import Harness, harness, normalized, rest_event, soon
from tests.support.waiting import wait_until


async def _emptied(h: Harness, count: int = 3) -> list[str]:
    """`count` mapped events, then the user's whole Garoon calendar vanishes."""
    day = soon()
    ids = []
    for i in range(count):
        eid = h.person_create(rest_event(f"E{i}", day, hour=8 + i))
        ids.append((await h.mapped(eid, normalized(f"E{i}", day, hour=8 + i))).id)
    h.sim.events.clear()
    return sorted(ids)


async def _held(h: Harness) -> HeldDelete:
    found = await h.store.held_deletes.get(h.sato.id, "garoon")
    assert found is not None
    return found


def _deleted(h: Harness) -> list[str]:
    return sorted(o.source_id for o in h.observed if o.deleted)


async def test_blocked_batch_is_recorded_once_and_refreshed() -> None:
    async with harness() as h:
        mapping_ids = await _emptied(h)
        first = await h.connector.sweeper.sweep_user(h.sato)
        assert "empty" in first.blocked
        batch = await _held(h)
        assert batch.status == HeldDeleteStatus.PENDING
        assert batch.mapping_ids == mapping_ids
        assert batch.tenant_id == h.sato.tenant_id
        await h.connector.sweeper.sweep_user(h.sato)
        [again] = await h.store.held_deletes.list(h.sato.tenant_id)
        assert again.mapping_ids == mapping_ids
        assert again.first_seen == batch.first_seen
        assert again.last_seen >= batch.last_seen
        assert _deleted(h) == []


async def test_confirmed_batch_is_propagated_exactly_once() -> None:
    async with harness() as h:
        mapping_ids = await _emptied(h)
        await h.connector.sweeper.sweep_user(h.sato)
        garoon_ids = sorted(
            m.garoon_id or "" for m in await h.store.mappings.list_for_user(h.sato.id)
        )
        _, requested = await held.confirm(h.ctx, await _held(h))
        assert requested  # the connector's request queue is bound: applied at once
        await wait_until(lambda: _deleted(h) == garoon_ids, message="three deletes observed")

        async def applied() -> bool:
            return (await _held(h)).status == HeldDeleteStatus.APPLIED

        await wait_until(applied, message="batch applied")
        # The translator has not tombstoned them yet (none runs here): still never twice,
        # and not held again either.
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 0
        assert not report.blocked
        assert _deleted(h) == garoon_ids
        batch = await _held(h)
        assert batch.status == HeldDeleteStatus.APPLIED
        assert batch.mapping_ids == mapping_ids
        trail = await h.store.audit.for_mapping(mapping_ids[0])
        assert [(e.action, e.rule) for e in trail] == [("confirm-delete", "held-delete")]
        assert "by admin" in trail[0].detail


async def test_only_the_confirmed_batch_passes_the_guard() -> None:
    async with harness() as h:
        await _emptied(h)
        await h.connector.sweeper.sweep_user(h.sato)
        # Confirmed in the store directly: no resync request races the sweep below.
        batch = await _held(h)
        yes = batch.model_copy(update={"status": HeldDeleteStatus.CONFIRMED})
        assert await h.store.held_deletes.compare_and_set(yes, batch.revision)
        # Two more copies vanish before the confirmed batch is applied.
        day = soon(3)
        later = sorted([(await h.mapped(f"90{i}", normalized(f"L{i}", day))).id for i in range(2)])
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 3
        assert "empty" in report.blocked
        assert "900" not in _deleted(h)
        batch = await _held(h)
        assert batch.status == HeldDeleteStatus.PENDING
        assert batch.mapping_ids == later


async def test_rejected_batch_is_never_propagated_nor_held_again() -> None:
    async with harness() as h:
        mapping_ids = await _emptied(h)
        await h.connector.sweeper.sweep_user(h.sato)
        before = await h.store.mappings.list_for_user(h.sato.id)
        decided, closed = await held.reject(h.ctx, await _held(h))
        assert decided.status == HeldDeleteStatus.REJECTED
        assert decided.decided_by == "admin"
        assert closed == 3
        after = await h.store.mappings.list_for_user(h.sato.id)
        assert {m.state for m in after} == {MappingState.TOMBSTONED}
        # The other side's ids stay on record: the copies there are kept, not deleted.
        assert [m.graph.id for m in after] == [m.graph.id for m in before]
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.ok
        assert not report.blocked
        assert report.deleted == 0
        assert _deleted(h) == []
        assert (await _held(h)).status == HeldDeleteStatus.REJECTED
        trail = await h.store.audit.for_mapping(mapping_ids[0])
        assert [e.action for e in trail] == ["reject-delete"]
