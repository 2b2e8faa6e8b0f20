"""One decision = one revision step, and command ids never repeat on a mapping.

The store's compare-and-set stores `expected + 1`; the engine builds every command's message
id from the revision it decides. A decision that stepped twice (a result followed by a merge,
a delete after a create, a refused delete followed by a recreate) left the store one behind
the ids it had minted, so the next decision could mint the same id for a new write, which
the connector drops as a duplicate: a lost edit. The simulation (tests/engine/sim.py) checks
both rules on every write; these scenarios drive each of those paths on purpose."""

from __future__ import annotations

from datetime import timedelta

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import CommandOp, Side, SyncCommand
from kakehashi.contracts.state import MappingState
from kakehashi.engine.decide import decide
from kakehashi.engine.decision import pending, with_record
from tests.engine.sim import World


def _event(w: World, title: str = "plan") -> NormalizedEvent:
    start = (w.clock.now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return NormalizedEvent(
        title=title, start=start, end=start + timedelta(hours=1), timezone="Asia/Tokyo"
    )


def _edit(w: World, side: Side, eid: str, **change: object) -> None:
    ev = w.cal[side].events[eid].event.model_copy(update=change)
    w.user_write(side, eid, ev)


def _synced() -> tuple[World, str, str, str]:
    w = World()
    gid = w.user_write(Side.GAROON, None, _event(w))
    w.settle()
    [oid] = w.cal[Side.GRAPH].events
    return w, gid, oid, w.owner[gid]


def test_refused_delete_then_recreate_then_edits_keep_every_write() -> None:
    w, gid, oid, mid = _synced()
    w.user_write(Side.GAROON, gid, None)  # deleted in Garoon ...
    assert w.step("obs", 0)  # ... -> DELETE to Outlook, in flight
    _edit(w, Side.GRAPH, oid, title="moved in Outlook")  # ... while Outlook edits it
    assert w.step("cmd", 0)  # the conditional delete is refused (version moved)
    assert w.step("res", 0)  # edit beats delete: merge + recreate in Garoon, one step
    assert w.mappings[mid].last_rule == "edit-beats-delete"
    w.settle()
    m = w.mappings[mid]
    assert m.state == MappingState.ACTIVE
    new_gid = m.garoon.id
    assert new_gid is not None
    # Later edits on both sides each reach the other side (none dropped as a duplicate id).
    for n in range(3):
        _edit(w, Side.GRAPH, oid, title=f"outlook {n}")
        w.settle()
        assert w.cal[Side.GAROON].events[new_gid].event.title == f"outlook {n}"
        _edit(w, Side.GAROON, new_gid, location=f"room {n}")
        w.settle()
        assert w.cal[Side.GRAPH].events[oid].event.location == f"room {n}"


def test_delete_while_create_in_flight_steps_once() -> None:
    w = World()
    gid = w.user_write(Side.GAROON, None, _event(w))
    assert w.step("obs", 0)  # CREATE to Outlook in flight
    w.user_write(Side.GAROON, gid, None)
    assert w.step("obs", 0)  # tombstone, delete after the create
    w.settle()  # create result -> delete-after-create (one step) -> delete result
    assert w.cal[Side.GRAPH].events == {}
    assert w.mappings[w.owner[gid]].state == MappingState.TOMBSTONED


def test_result_with_more_than_we_wrote_merges_in_one_step() -> None:
    """The Teams shape: the write's result holds more than the command sent (a join URL,
    someone's edit the server accepted), merged as a concurrent edit in the same decision."""
    w, gid, oid, mid = _synced()
    _edit(w, Side.GAROON, gid, title="garoon 1")
    assert w.step("obs", 0)  # UPDATE to Outlook in flight
    assert w.step("cmd", 0)
    result = w.results.pop()
    assert result.event is not None
    extra = result.event.model_copy(update={"location": "added by the server"})
    w.cal[Side.GRAPH].events[oid].event = extra
    before = w.mappings[mid].revision
    w.deliver_result(result.model_copy(update={"event": extra}))
    assert w.mappings[mid].revision == before + 1
    assert w.mappings[mid].last_rule == "concurrent-edit"
    w.settle()
    assert w.cal[Side.GAROON].events[gid].event.location == "added by the server"
    for n in range(3):
        _edit(w, Side.GAROON, gid, title=f"garoon {n + 2}")
        w.settle()
        assert w.cal[Side.GRAPH].events[oid].event.title == f"garoon {n + 2}"


def test_a_teams_write_in_flight_is_reissued_with_its_invitees() -> None:
    """decide() on a redelivered observation re-sends every write in flight, Teams included
    (it used to raise KeyError on the unknown op)."""

    w, _gid, oid, mid = _synced()
    m = w.mappings[mid]
    teams = SyncCommand(
        tenant_id=m.tenant_id,
        side=Side.GRAPH,
        op=CommandOp.TEAMS_MEETING,
        user_link_id=m.user_link_id,
        mapping_id=m.id,
        idempotency_key=m.idempotency_key or m.id,
        target_id=oid,
        event=m.base,
        invitees=["guest@outside.example"],
        notify_attendees=True,
    )
    m = with_record(m, Side.GRAPH, pending(m.graph, teams, w.clock.now), revision=m.revision + 1)
    decision = decide(m, w.observe(Side.GRAPH, oid), w.ctx)
    assert decision.mapping is None
    [cmd] = decision.commands
    assert (cmd.message_id, cmd.op, cmd.invitees, cmd.target_id) == (
        teams.message_id,
        CommandOp.TEAMS_MEETING,
        ["guest@outside.example"],
        oid,
    )
    assert cmd.notify_attendees
    assert decision.rule == "reissue"
