"""A Graph series Garoon cannot express: one Garoon event per occurrence, each its own mapping
linked to the series; a redelivery creates none of them twice."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from kakehashi.bus import Retry
from kakehashi.contracts.event import Frequency, NormalizedEvent, Recurrence, Weekday
from kakehashi.contracts.messages import CommandOp, Side
from kakehashi.contracts.state import MappingState
from tests.translator.conftest import Rig, event
from tests.translator.support import pump
from tests.translator.test_flow import FlakyBus

TOKYO = ZoneInfo("Asia/Tokyo")


def _series() -> NormalizedEvent:
    base = event("Every other Tue+Thu")
    assert base.start is not None
    rule = Recurrence(
        frequency=Frequency.WEEKLY,
        interval=2,
        weekdays=(Weekday.TU, Weekday.TH),
        start_date=base.start.date(),
        until=base.start.date() + timedelta(days=40),
    )
    return base.model_copy(update={"recurrence": rule})


async def test_unexpressible_series_explodes_once(rig: Rig) -> None:
    oid = rig.sides.user_write(Side.GRAPH, None, _series())
    obs = rig.sides.observe(Side.GRAPH, oid)
    await rig.translator.on_observed(obs)
    first = rig.commands()
    assert first
    assert all((c.side, c.op) == (Side.GAROON, CommandOp.CREATE) for c in first)
    await rig.translator.on_observed(obs)  # redelivered
    again = rig.commands()
    assert {c.message_id for c in again} <= {c.message_id for c in first}

    docs = await rig.store.db.collection("mappings").find({})
    parents = [d for d in docs if not d.get("series_mapping_id")]
    children = [d for d in docs if d.get("series_mapping_id")]
    assert len(parents) == 1
    assert len(children) == len(first)
    assert {d["series_mapping_id"] for d in children} == {parents[0]["_id"]}
    assert all(d["state"] == MappingState.PENDING_CREATE.value for d in children)
    # Each occurrence's create lands: its own mapping becomes active.
    for cmd in first:
        answer = rig.sides.apply(cmd)
        assert answer is not None
        await rig.translator.on_result(answer[0])
    for d in children:
        child = await rig.store.mappings.get(d["_id"])
        assert child is not None
        assert child.state == MappingState.ACTIVE
    assert len(rig.sides.cal[Side.GAROON].events) == len(first)


async def test_occurrence_creates_are_resent_after_a_failed_publish(rig: Rig) -> None:
    flaky = FlakyBus(broker=rig.bus.broker)
    await flaky.connect()
    rig.translator.bus, flaky.fail = flaky, 1
    oid = rig.sides.user_write(Side.GRAPH, None, _series())
    obs = rig.sides.observe(Side.GRAPH, oid)
    with pytest.raises(Retry):
        await rig.translator.on_observed(obs)
    assert rig.commands() == []
    await rig.translator.on_observed(obs)  # redelivered
    sent = rig.commands()
    children = await rig.store.db.collection("mappings").find({"series_mapping_id": {"$ne": None}})
    assert len(sent) == len(children) > 1
    assert all(c.op == CommandOp.CREATE for c in sent)


async def test_a_changed_series_updates_its_garoon_occurrences(rig: Rig) -> None:
    oid = rig.sides.user_write(Side.GRAPH, None, _series())
    first = await pump(rig, rig.sides.observe(Side.GRAPH, oid))
    occurrences = len(rig.sides.cal[Side.GAROON].events)
    assert occurrences == len(first) > 1
    rig.sides.edit(Side.GRAPH, oid, title="Renamed")
    sent = await pump(rig, rig.sides.observe(Side.GRAPH, oid))
    updates = [c for c in sent if (c.side, c.op) == (Side.GAROON, CommandOp.UPDATE)]
    assert len({c.mapping_id for c in updates}) == occurrences
    assert {c.event.title for c in rig.sides.cal[Side.GAROON].events.values()} == {"Renamed"}
    assert len(rig.sides.cal[Side.GAROON].events) == occurrences


async def test_an_occurrence_edited_in_outlook_is_split_off_its_series(rig: Rig) -> None:
    base = event("Weekly")
    assert base.start is not None
    assert base.end is not None
    weekly = Recurrence(
        frequency=Frequency.WEEKLY,
        weekdays=(list(Weekday)[base.start.astimezone(TOKYO).weekday()],),
        start_date=base.start.astimezone(TOKYO).date(),
        count=5,
    )
    oid = rig.sides.user_write(Side.GRAPH, None, base.model_copy(update={"recurrence": weekly}))
    await pump(rig, rig.sides.observe(Side.GRAPH, oid))
    series = await rig.mapping()
    assert series.state == MappingState.ACTIVE
    # Outlook: the second occurrence moved by an hour (an exception of the series).
    slot = base.start + timedelta(days=7)
    moved = base.model_copy(
        update={
            "start": slot + timedelta(hours=1),
            "end": base.end + timedelta(days=7, hours=1),
            "original_start": slot,
        }
    )
    xid = rig.sides.user_write(Side.GRAPH, None, moved)
    obs = rig.sides.observe(Side.GRAPH, xid).model_copy(update={"series_id": oid})
    await rig.translator.on_observed(obs)
    [create] = rig.commands()
    assert (create.side, create.op) == (Side.GAROON, CommandOp.CREATE)
    children = await rig.store.mappings.list_series_children(series.id)
    assert [c.graph.id for c in children] == [xid]
    after = await rig.store.mappings.get(series.id)
    assert after is not None
    assert after.revision > series.revision  # the split is recorded on the series


def _weekly(title: str) -> NormalizedEvent:
    base = event(title)
    assert base.start is not None
    weekly = Recurrence(
        frequency=Frequency.WEEKLY,
        weekdays=(list(Weekday)[base.start.astimezone(TOKYO).weekday()],),
        start_date=base.start.astimezone(TOKYO).date(),
        count=5,
    )
    return base.model_copy(update={"recurrence": weekly})


async def test_an_occurrence_edited_in_garoon_is_split_off_its_series(rig: Rig) -> None:
    """Garoon SOAP modify `this`: a new normal event naming its series (by Garoon id). The
    translator finds the series by Garoon id, records the split on it (one revision step)
    before the child mapping, and sends Outlook the child's CREATE; a redelivery re-sends it
    under the same id and splits nothing twice."""
    base = _weekly("Weekly")
    assert base.start is not None
    assert base.end is not None
    gid = rig.sides.user_write(Side.GAROON, None, base)
    await pump(rig, rig.sides.observe(Side.GAROON, gid))
    series = await rig.mapping()
    assert series.state == MappingState.ACTIVE
    day = (base.start + timedelta(days=7)).astimezone(TOKYO).date()
    moved = base.model_copy(
        update={
            "recurrence": None,
            "title": "Weekly (moved)",
            "start": base.start + timedelta(days=7, hours=1),
            "end": base.end + timedelta(days=7, hours=1),
        }
    )
    xid = rig.sides.user_write(Side.GAROON, None, moved)
    obs = rig.sides.observe(Side.GAROON, xid).model_copy(update={"series_id": gid})
    await rig.translator.on_observed(obs)
    [create] = rig.commands()
    assert (create.side, create.op) == (Side.GRAPH, CommandOp.CREATE)
    [child] = await rig.store.mappings.list_series_children(series.id)
    assert (child.garoon.id, child.occurrence_date) == (xid, day)
    assert child.base is not None
    assert child.base.original_start is not None
    after = await rig.store.mappings.get(series.id)
    assert after is not None
    assert after.revision == series.revision + 1
    assert after.base is not None
    assert after.base.recurrence is not None
    assert day in after.base.recurrence.overridden
    # Redelivered: the same create again (same id), no second split, no second child.
    await rig.translator.on_observed(obs)
    assert [c.message_id for c in rig.commands()] == [create.message_id]
    again = await rig.store.mappings.get(series.id)
    assert again is not None
    assert again.revision == after.revision
    assert len(await rig.store.mappings.list_series_children(series.id)) == 1
