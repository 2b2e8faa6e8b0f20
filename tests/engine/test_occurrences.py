"""Single occurrences edited (and deleted) on their own, both ways (product §2.1), through the
simulated connectors: child mappings, no duplicate, no ping-pong, edits keep flowing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kakehashi.contracts.event import Frequency, NormalizedEvent, Recurrence, Weekday
from kakehashi.contracts.messages import CommandOp, Side
from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.engine import timezones
from kakehashi.engine.translate import graph
from tests.engine.sim import World
from tests.engine.strategies import CTX

DAY = date(2026, 6, 9)  # the second Tuesday of the series


def _series() -> NormalizedEvent:
    # Tuesdays 08:00 Tokyo (23:00 UTC the day before: the date trap of fix 2).
    start = datetime(2026, 6, 1, 23, tzinfo=UTC)
    return NormalizedEvent(
        title="weekly",
        start=start,
        end=start + timedelta(hours=1),
        timezone="Asia/Tokyo",
        recurrence=Recurrence(
            frequency=Frequency.WEEKLY,
            weekdays=(Weekday.TU,),
            start_date=date(2026, 6, 2),
            until=date(2026, 8, 25),
        ),
    )


def _setup(origin: Side) -> tuple[World, Mapping]:
    w = World()
    eid = w.user_write(origin, None, _series())
    w.settle()
    return w, w.mappings[w.owner[eid]]


def _id(m: Mapping, side: Side) -> str:
    rid = (m.garoon if side == Side.GAROON else m.graph).id
    assert rid is not None
    return rid


def _children(w: World, series: Mapping) -> list[Mapping]:
    return [m for m in w.mappings.values() if m.series_mapping_id == series.id]


def _quiet(w: World) -> None:
    writes = {s: c.writes for s, c in w.cal.items()}
    w.settle()
    assert writes == {s: c.writes for s, c in w.cal.items()}, "ping-pong"
    assert not w.echo_writes, w.echo_writes


def _check_split(w: World, series: Mapping, title: str) -> Mapping:
    [child] = _children(w, series)
    assert child.state == MappingState.ACTIVE
    assert child.occurrence_date == DAY
    garoon_series = w.cal[Side.GAROON].events[_id(series, Side.GAROON)].event
    graph_master = w.cal[Side.GRAPH].events[_id(series, Side.GRAPH)].event
    assert garoon_series.recurrence
    assert DAY in garoon_series.recurrence.excluded
    assert graph_master.recurrence
    assert DAY in graph_master.recurrence.overridden
    assert DAY not in graph_master.recurrence.excluded, "the occurrence was cancelled, not edited"
    detached = w.cal[Side.GAROON].events[_id(child, Side.GAROON)]
    exception = w.cal[Side.GRAPH].events[_id(child, Side.GRAPH)]
    assert detached.event.recurrence is None
    assert detached.event.title == title
    assert exception.event.title == title
    assert exception.series_id == _id(series, Side.GRAPH)
    assert exception.event.original_start is not None
    assert timezones.local_date(exception.event.original_start, "Asia/Tokyo") == DAY
    # Three events per side: the series and the occurrence, never a standalone duplicate.
    assert len(w.cal[Side.GAROON].events) == len(w.cal[Side.GRAPH].events) == 2
    return child


def test_graph_exception_becomes_garoon_split_and_keeps_flowing() -> None:
    w, series = _setup(Side.GAROON)
    w.user_split(Side.GRAPH, _id(series, Side.GRAPH), DAY, title="moved")
    while w.step("obs", 0):
        pass
    creates = [c for c in w.commands if c.op == CommandOp.CREATE]
    assert [c.side for c in creates] == [Side.GAROON], w.commands
    assert creates[0].event is not None
    assert creates[0].event.original_start is not None
    w.settle()
    child = _check_split(w, series, "moved")
    _quiet(w)
    # Later edits of the detached Garoon event reach the Graph exception, and back.
    gid = _id(child, Side.GAROON)
    ev = w.cal[Side.GAROON].events[gid].event
    w.user_write(Side.GAROON, gid, ev.model_copy(update={"location": "room 2"}))
    w.settle()
    assert w.cal[Side.GRAPH].events[_id(child, Side.GRAPH)].event.location == "room 2"
    oid = _id(child, Side.GRAPH)
    ev = w.cal[Side.GRAPH].events[oid].event
    w.user_write(Side.GRAPH, oid, ev.model_copy(update={"title": "moved again"}))
    w.settle()
    assert w.cal[Side.GAROON].events[gid].event.title == "moved again"
    _quiet(w)
    # Deleting the exception on Graph deletes the detached event; the series stays.
    w.user_write(Side.GRAPH, oid, None)
    w.settle()
    assert gid not in w.cal[Side.GAROON].events
    assert _id(series, Side.GAROON) in w.cal[Side.GAROON].events
    assert w.mappings[series.id].state == MappingState.ACTIVE
    master = w.cal[Side.GRAPH].events[_id(series, Side.GRAPH)].event
    assert master.recurrence
    assert DAY in master.recurrence.excluded
    _quiet(w)


def test_garoon_split_becomes_graph_exception_and_keeps_flowing() -> None:
    w, series = _setup(Side.GRAPH)
    gid = w.user_split(Side.GAROON, _id(series, Side.GAROON), DAY, title="only this one")
    w.settle()
    child = _check_split(w, series, "only this one")
    assert _id(child, Side.GAROON) == gid
    assert w.mappings[series.id].base.recurrence.overridden == (DAY,)  # type: ignore[union-attr]
    _quiet(w)
    oid = _id(child, Side.GRAPH)
    ev = w.cal[Side.GRAPH].events[oid].event
    w.user_write(Side.GRAPH, oid, ev.model_copy(update={"body": "agenda"}))
    w.settle()
    assert w.cal[Side.GAROON].events[gid].event.body == "agenda"
    _quiet(w)
    # Deleting the detached Garoon event deletes the Graph exception (occurrence cancelled).
    w.user_write(Side.GAROON, gid, None)
    w.settle()
    assert oid not in w.cal[Side.GRAPH].events
    master = w.cal[Side.GRAPH].events[_id(series, Side.GRAPH)].event
    assert master.recurrence
    assert DAY in master.recurrence.excluded
    assert w.mappings[child.id].state == MappingState.TOMBSTONED
    _quiet(w)


def test_series_edit_after_split_keeps_the_exception() -> None:
    """A later title edit of the series neither cancels nor duplicates the occurrence."""
    w, series = _setup(Side.GAROON)
    w.user_split(Side.GRAPH, _id(series, Side.GRAPH), DAY, title="moved")
    w.settle()
    sid = _id(series, Side.GAROON)
    ev = w.cal[Side.GAROON].events[sid].event
    w.user_write(Side.GAROON, sid, ev.model_copy(update={"title": "weekly v2"}))
    w.settle()
    master = w.cal[Side.GRAPH].events[_id(series, Side.GRAPH)].event
    assert master.title == "weekly v2"
    assert master.recurrence
    assert DAY in master.recurrence.overridden
    assert DAY not in master.recurrence.excluded
    _check_split(w, series, "moved")
    _quiet(w)


def test_exception_of_an_unmapped_series_waits_or_copies_never_crashes() -> None:
    w, series = _setup(Side.GAROON)
    obs = w.observe(Side.GRAPH, _id(series, Side.GRAPH))
    obs = obs.model_copy(update={"series_id": "someone-else", "source_id": "x1"})
    w.observations.clear()
    w.deliver_observation(obs, False)  # no series mapping: the ordinary new-event path


def test_original_start_is_read_in_the_event_zone() -> None:
    """Fix 2: Graph's originalStart is UTC; a Tokyo 08:00 occurrence is the previous day in
    UTC, so the overridden date must be taken in the event's zone."""
    raw = graph.to_graph(_series(), CTX)
    raw["exceptionOccurrences"] = [{"originalStart": "2026-06-08T23:00:00Z"}]
    ev = graph.from_graph(raw, CTX)
    assert ev.recurrence is not None
    assert ev.recurrence.overridden == (DAY,)
