"""One named test per peer-lessons §2.1 complaint that concerns the sync decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kakehashi.contracts.event import (
    CompanyInfo,
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Weekday,
)
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import ConflictPolicy, Mapping, MappingState, SyncPolicy
from kakehashi.engine.decide import decide
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.guard import Listing, guard_deletes
from kakehashi.engine.translate import graph
from tests.engine.sim import World
from tests.engine.strategies import CTX


def _event(title: str = "x", day: int = 2, **kw: object) -> NormalizedEvent:
    start = datetime(2026, 6, day, 1, tzinfo=UTC)
    return NormalizedEvent(
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        timezone="Asia/Tokyo",
        **kw,
    )


def _pair(w: World, side: Side = Side.GAROON, **kw: object) -> tuple[str, Mapping]:
    eid = w.user_write(side, None, _event(**kw))  # type: ignore[arg-type]
    w.settle()
    return eid, w.mappings[w.owner[eid]]


def _other_id(m: Mapping, side: Side) -> str:
    return (m.graph if side == Side.GAROON else m.garoon).id  # type: ignore[return-value]


def test_complaint_01_no_duplicates_when_mapping_lookup_misses() -> None:
    w = World()
    _eid, m = _pair(w)
    copy_id = m.graph.id
    assert copy_id
    assert w.cal[Side.GRAPH].events[copy_id].tag == m.id
    # The store lookup missed: the copy still carries our tag, so it is never copied back.
    obs = w.observe(Side.GRAPH, copy_id)
    d = decide(None, obs, w.ctx)
    assert d.rule == "own-copy-without-mapping"
    assert not d.commands
    # A redelivered observation of a pending create re-sends the same create, not a second.
    w2 = World()
    gid = w2.user_write(Side.GAROON, None, _event())
    first = w2.observations[0][0]
    w2.step("obs", 0)
    w2.deliver_observation(first, False)  # redelivered before the command ran
    assert len({c.message_id for c in w2.commands}) == 1
    w2.settle()
    assert len(w2.cal[Side.GRAPH].events) == 1
    assert gid in w2.cal[Side.GAROON].events


def test_complaint_02_window_edges_neither_duplicate_nor_delete() -> None:
    w = World()
    start_of_window = w.ctx.window_start
    ended = NormalizedEvent(
        title="old",
        start=start_of_window - timedelta(hours=1),
        end=start_of_window,
        timezone="Asia/Tokyo",
    )
    obs = ObservedEvent(
        tenant_id="t1", side=Side.GAROON, user_link_id="l", source_id="g0", version="1", event=ended
    )
    assert decide(None, obs, w.ctx).rule == "outside-window"
    starts_at_edge = ended.model_copy(
        update={"start": start_of_window, "end": start_of_window + timedelta(hours=1)}
    )
    assert decide(None, obs.model_copy(update={"event": starts_at_edge}), w.ctx).commands
    # A mapped event that the window rolled past vanishes from Graph's view: no delete.
    _eid, m = _pair(w)
    w.clock.now += timedelta(days=5)
    gone = ObservedEvent(
        tenant_id="t1",
        side=Side.GRAPH,
        user_link_id="l",
        source_id=_other_id(m, Side.GAROON),
        deleted=True,
    )
    d = decide(w.mappings[m.id], gone, w.ctx)
    assert d.rule == "window-edge"
    assert not d.commands


def test_complaint_03_deleted_event_not_resurrected() -> None:
    w = World()
    eid, m = _pair(w)
    old_observation = w.observe(Side.GAROON, eid)
    w.observations.clear()
    w.user_write(Side.GRAPH, _other_id(m, Side.GAROON), None)
    w.settle()
    assert w.mappings[m.id].state == MappingState.TOMBSTONED
    assert eid not in w.cal[Side.GAROON].events
    d = decide(w.mappings[m.id], old_observation, w.ctx)  # late, reordered
    assert d.rule == "tombstone"
    assert not d.commands
    assert d.mapping is None


def test_complaint_04_recurring_exceptions_and_unexpressible_rules() -> None:
    w = World()
    rule = Recurrence(
        frequency=Frequency.WEEKLY,
        weekdays=(Weekday.TU,),
        start_date=date(2026, 6, 2),
        until=date(2026, 7, 28),
    )
    eid, m = _pair(w, recurrence=rule)
    series = w.cal[Side.GRAPH].events[_other_id(m, Side.GAROON)].event
    assert series.recurrence is not None
    assert series.recurrence.until == date(2026, 7, 28)
    # Deleting one occurrence in Garoon becomes a cancelled occurrence of the Graph series.
    ev = w.cal[Side.GAROON].events[eid].event
    one_off = ev.recurrence.model_copy(update={"excluded": (date(2026, 6, 9),)})  # type: ignore[union-attr]
    w.user_write(Side.GAROON, eid, ev.model_copy(update={"recurrence": one_off}))
    w.settle()
    graph_rule = w.cal[Side.GRAPH].events[_other_id(m, Side.GAROON)].event.recurrence
    assert graph_rule is not None
    assert graph_rule.excluded == (date(2026, 6, 9),)
    # A yearly Graph series has no Garoon repeat type: occurrences, linked, never dropped.
    yearly = Recurrence(
        frequency=Frequency.YEARLY_DAY,
        month=6,
        day_of_month=3,
        start_date=date(2026, 6, 3),
        count=5,
    )
    obs = ObservedEvent(
        tenant_id="t1",
        side=Side.GRAPH,
        user_link_id="l",
        source_id="m9",
        ical_uid="i9",
        version="1",
        event=_event(day=3, recurrence=yearly),
    )
    d = decide(None, obs, w.ctx)
    assert d.actions[0].rule == "explode-series"
    assert [c.op for c in d.commands] == [CommandOp.CREATE]  # one inside a 365-day window
    assert all(c.series_mapping_id == d.mapping.id for c in d.children)  # type: ignore[union-attr]


def test_complaint_05_no_unwanted_invitations() -> None:
    w = World()
    people = (
        Person(garoon_login="user1", email="user1@contoso.example"),
        Person(garoon_login="ghost1", name="Unlinked"),
    )
    organizer = Person(garoon_login="user0", email="user0@contoso.example")
    eid = w.user_write(Side.GAROON, None, _event(attendees=people, organizer=organizer))
    w.step("obs", 0)
    create = w.commands[0]
    assert create.notify_attendees is True  # deliberate: the meeting invitation itself
    payload = graph.to_graph(create.event, CTX)  # type: ignore[arg-type]
    invited = [a["emailAddress"]["address"] for a in payload["attendees"]]
    assert invited == ["user1@contoso.example"]  # the unlinked participant is never invited
    assert "Unlinked (ghost1)" in payload["body"]["content"]
    w.settle()
    m = w.mappings[w.owner[eid]]
    ev = w.cal[Side.GAROON].events[eid].event
    w.user_write(Side.GAROON, eid, ev.model_copy(update={"body": "agenda"}))
    w.drain()
    body_update = list(w.cal[Side.GRAPH].processed)
    assert body_update
    last = w.mappings[m.id]
    assert last.graph.pending_command_id is None
    # Exchange mails attendees an update for a memo change of a meeting (fix 8): the command
    # says so deliberately; a category-only update mails nobody.
    from kakehashi.engine.decision import mails_attendees

    assert mails_attendees(Side.GRAPH, CommandOp.UPDATE, ev, ["body"])
    assert not mails_attendees(Side.GRAPH, CommandOp.UPDATE, ev, ["category"])
    # An attendee's copy of the meeting never writes anything.
    copy = ObservedEvent(
        tenant_id="t1",
        side=Side.GRAPH,
        user_link_id="l2",
        source_id="other-mailbox-copy",
        ical_uid=last.graph_ical_uid,
        version="9",
        event=ev,
        is_organizer_copy=False,
    )
    assert not decide(last, copy, w.ctx).commands
    assert decide(None, copy, w.ctx).rule == "attendee-copy"


def test_complaint_10_no_ping_pong_on_rerender() -> None:
    w = World()
    company = CompanyInfo(name="ACME", phone="03-0000")
    _eid, m = _pair(w, company=company)
    gid = _other_id(m, Side.GAROON)
    assert "ACME" in graph.to_graph(w.cal[Side.GRAPH].events[gid].event, CTX)["body"]["content"]
    writes = {s: c.writes for s, c in w.cal.items()}
    # Graph rewrites volatile things (changeKey, modification time): same content, new version.
    copy = w.cal[Side.GRAPH].events[gid]
    copy.version += 1
    copy.modified = w.clock.tick()
    w.observe(Side.GRAPH, gid)
    w.settle()
    assert writes == {s: c.writes for s, c in w.cal.items()}
    assert w.mappings[m.id].last_rule == "echo-hash"


def test_a_copy_we_cannot_read_back_is_not_created_again_and_again() -> None:
    # A private event written where the service account may not read it looks deleted the
    # moment it is written. Edit-beats-delete recreates it once; then the engine stops, rather
    # than filling the calendar with copies nobody can see.
    w = World()
    w.cal[Side.GAROON].blind = True
    eid = w.user_write(Side.GRAPH, None, _event("private"))
    w.settle()
    assert len(w.cal[Side.GAROON].hidden) == 2
    assert w.mappings[w.owner[eid]].last_rule == "copy-unreadable"


def test_complaint_11_newer_edit_not_lost_field_level_merge() -> None:
    w = World()
    eid, m = _pair(w)
    gid = _other_id(m, Side.GAROON)
    g_ev = w.cal[Side.GAROON].events[eid].event
    o_ev = w.cal[Side.GRAPH].events[gid].event
    w.user_write(Side.GAROON, eid, g_ev.model_copy(update={"title": "older", "location": "HQ"}))
    w.user_write(Side.GRAPH, gid, o_ev.model_copy(update={"title": "newer", "body": "notes"}))
    w.observations.reverse()  # the newer edit is observed first
    w.settle()
    for side, cid in ((Side.GAROON, eid), (Side.GRAPH, gid)):
        ev = w.cal[side].events[cid].event
        assert (ev.title, ev.location, ev.body) == ("newer", "HQ", "notes")
    # With garoon-wins, Garoon's value wins the conflicting field; others still merge.
    w2 = World()
    w2_ctx = DecisionContext(
        tenant_id="t1",
        clock=w2.clock,
        translation=CTX,
        policy=SyncPolicy(conflict=ConflictPolicy.GAROON_WINS),
    )
    w2.ctx = w2_ctx
    eid, m = _pair(w2)
    gid = _other_id(m, Side.GAROON)
    w2.user_write(
        Side.GAROON,
        eid,
        w2.cal[Side.GAROON].events[eid].event.model_copy(update={"title": "garoon"}),
    )
    w2.user_write(
        Side.GRAPH,
        gid,
        w2.cal[Side.GRAPH]
        .events[gid]
        .event.model_copy(update={"title": "graph", "location": "R1"}),
    )
    w2.settle()
    ev = w2.cal[Side.GRAPH].events[gid].event
    assert (ev.title, ev.location) == ("garoon", "R1")


def test_complaint_12_mass_delete_guard() -> None:
    w = World()
    for i in range(7):
        w.user_write(Side.GAROON, None, _event(title=f"e{i}"))
    w.settle()
    maps = list(w.mappings.values())
    policy = SyncPolicy(mass_delete_threshold=5)
    ids = frozenset(w.cal[Side.GRAPH].events)
    cases = {
        "empty": Listing(Side.GRAPH, frozenset()),
        "failed": Listing(Side.GRAPH, ids, ok=False, error="HTTP 503"),
        "truncated": Listing(Side.GRAPH, frozenset(list(ids)[:3]), complete=False),
        "threshold": Listing(Side.GRAPH, frozenset(list(ids)[:1])),
    }
    for name, listing in cases.items():
        verdict = guard_deletes(maps, listing, policy)
        assert not verdict.allowed, name
        assert verdict.reason
    ok = guard_deletes(maps, Listing(Side.GRAPH, frozenset(sorted(ids)[1:])), policy)
    assert ok.allowed
    assert len(ok.deletes) == 1


def test_complaint_13_updates_keep_propagating() -> None:
    w = World()
    eid, m = _pair(w)
    gid = _other_id(m, Side.GAROON)
    for i in range(30):
        side, cid = (Side.GAROON, eid) if i % 2 else (Side.GRAPH, gid)
        ev = w.cal[side].events[cid].event
        w.user_write(side, cid, ev.model_copy(update={"title": f"v{i}"}))
        w.settle()
        assert w.cal[Side.GAROON].events[eid].event.title == f"v{i}"
        assert w.cal[Side.GRAPH].events[gid].event.title == f"v{i}"
    # A lost result must not freeze the event: after the timeout the next edit still flows.
    ev = w.cal[Side.GAROON].events[eid].event
    w.user_write(Side.GAROON, eid, ev.model_copy(update={"title": "lost-result"}))
    w.step("obs", 0)
    w.step("cmd", 0)
    w.results.clear()
    w.observations.clear()  # the echo is lost too
    w.clock.now += timedelta(hours=1)
    ev = w.cal[Side.GAROON].events[eid].event
    w.user_write(Side.GAROON, eid, ev.model_copy(update={"title": "after"}))
    w.settle()
    assert w.cal[Side.GRAPH].events[gid].event.title == "after"


def test_complaint_04_exploded_series_follows_edits_and_the_window() -> None:
    from kakehashi.engine import window

    w = World()
    every4 = Recurrence(
        frequency=Frequency.WEEKLY,
        interval=4,
        weekdays=(Weekday.TU,),
        start_date=date(2026, 6, 2),
        until=date(2026, 9, 30),
    )
    obs = ObservedEvent(
        tenant_id="t1",
        side=Side.GRAPH,
        user_link_id="l",
        source_id="m9",
        ical_uid="i9",
        version="1",
        event=_event(recurrence=every4),
    )
    d = decide(None, obs, w.ctx)
    assert [a.rule for a in d.actions].count("explode-occurrence") == 5
    parent = d.mapping
    assert parent is not None
    # Pretend the creates landed, then the Graph series loses September and is renamed.
    children = [
        c.model_copy(
            update={
                "state": MappingState.ACTIVE,
                "garoon": c.garoon.model_copy(
                    update={"id": f"g{i}", "snapshot": c.base, "pending_command_id": None}
                ),
            }
        )
        for i, c in enumerate(d.children)
    ]
    shorter = every4.model_copy(update={"until": date(2026, 8, 31)})
    edited = obs.event.model_copy(update={"title": "renamed", "recurrence": shorter})  # type: ignore[union-attr]
    step = decide(parent, obs.model_copy(update={"version": "2", "event": edited}), w.ctx)
    assert any(a.rule == "reexplode" for a in step.actions)
    assert step.mapping is not None
    plan = window.reexplode(step.mapping, children, obs, w.ctx)
    kinds = sorted(a.kind.value for a in plan.actions)
    assert kinds == ["delete", "update", "update", "update", "update"]
    assert all(c.event.title == "renamed" for c in plan.commands if c.op == CommandOp.UPDATE)  # type: ignore[union-attr]
