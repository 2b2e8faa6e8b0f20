"""Fix 3 (peer-lessons #2): a copy that vanished because its event left the listed window
(moved past the horizon, or moved before the window start) never deletes the other copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import MappingState
from kakehashi.engine.decide import decide
from tests.engine.sim import TENANT, World


def _event(start: datetime) -> NormalizedEvent:
    return NormalizedEvent(
        title="x", start=start, end=start + timedelta(hours=1), timezone="Asia/Tokyo"
    )


def _vanish(w: World, side: Side, eid: str, last: NormalizedEvent | None = None) -> ObservedEvent:
    """The side's listing no longer shows the copy (sweep / delta): a delete observation."""
    w.cal[side].events.pop(eid)
    return ObservedEvent(
        tenant_id=TENANT,
        side=side,
        user_link_id="link-1",
        source_id=eid,
        deleted=True,
        event=last,
    )


def test_moved_past_the_horizon_then_vanished_is_not_deleted() -> None:
    w = World()
    gid = w.user_write(Side.GAROON, None, _event(datetime(2026, 6, 2, 1, tzinfo=UTC)))
    w.settle()
    m = w.mappings[w.owner[gid]]
    oid = m.graph.id
    assert oid
    far = w.ctx.repeat_horizon + timedelta(days=30)
    ev = w.cal[Side.GRAPH].events[oid].event
    w.user_write(
        Side.GRAPH, oid, ev.model_copy(update={"start": far, "end": far + timedelta(hours=1)})
    )
    w.settle()
    obs = _vanish(w, Side.GAROON, gid)
    d = decide(w.mappings[m.id], obs, w.ctx)
    assert d.rule == "window-edge"
    assert not d.commands
    assert d.mapping is None  # not tombstoned


def test_moved_before_the_window_start_then_vanished_is_not_deleted() -> None:
    w = World()
    gid = w.user_write(Side.GAROON, None, _event(datetime(2026, 6, 2, 1, tzinfo=UTC)))
    w.settle()
    m = w.mappings[w.owner[gid]]
    before = _event(w.ctx.window_start - timedelta(days=3))
    # The move and the vanishing arrive together (the listing no longer shows it; the last
    # content the connector knew says where it went).
    obs = _vanish(w, Side.GAROON, gid, last=before)
    d = decide(w.mappings[m.id], obs, w.ctx)
    assert d.rule == "window-edge"
    assert not [c for c in d.commands if c.op == CommandOp.DELETE]
    assert d.mapping is None or d.mapping.state != MappingState.TOMBSTONED


def test_a_deliberate_delete_inside_the_window_still_deletes() -> None:
    w = World()
    gid = w.user_write(Side.GAROON, None, _event(datetime(2026, 6, 2, 1, tzinfo=UTC)))
    w.settle()
    m = w.mappings[w.owner[gid]]
    d = decide(w.mappings[m.id], _vanish(w, Side.GAROON, gid), w.ctx)
    assert d.rule == "delete"
    assert [c.op for c in d.commands] == [CommandOp.DELETE]
