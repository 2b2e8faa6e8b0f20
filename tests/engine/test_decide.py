"""Directed tests of the decision rules the state machine only meets by chance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kakehashi.contracts.event import Frequency, NormalizedEvent, Person, Recurrence, Response
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import MappingState, SyncPolicy
from kakehashi.engine.decide import decide, mapping_id_for
from kakehashi.engine.decision import ActionKind, DecisionContext
from kakehashi.engine.explain import explain
from kakehashi.engine.results import apply_result
from tests.engine.sim import World
from tests.engine.strategies import CTX

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _ctx(**kw: object) -> DecisionContext:
    return DecisionContext(tenant_id="t1", clock=lambda: NOW, translation=CTX, **kw)  # type: ignore[arg-type]


def _ev(title: str = "x", days: int = 1, **kw: object) -> NormalizedEvent:
    start = NOW + timedelta(days=days)
    return NormalizedEvent(
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        timezone="Asia/Tokyo",
        **kw,
    )


def _obs(side: Side = Side.GAROON, sid: str = "g1", **kw: object) -> ObservedEvent:
    base: dict[str, object] = {"version": "1", "event": _ev(), "modified_at": NOW.isoformat()}
    base.update(kw)
    return ObservedEvent(tenant_id="t1", side=side, user_link_id="l1", source_id=sid, **base)


def test_create_is_pending_with_deterministic_key() -> None:
    d1 = decide(None, _obs(), _ctx())
    d2 = decide(None, _obs(), _ctx())
    assert d1.mapping is not None
    assert d1.mapping.state == MappingState.PENDING_CREATE
    assert d1.commands[0].idempotency_key == d1.mapping.id == d2.mapping.id  # type: ignore[union-attr]
    assert d1.commands[0].message_id == d2.commands[0].message_id
    assert d1.commands[0].occurred_at == NOW  # the injected clock, not the system's


def test_redelivered_observation_reissues_the_same_create() -> None:
    ctx = _ctx()
    first = decide(None, _obs(), ctx)
    again = decide(first.mapping, _obs(), ctx)
    assert [c.message_id for c in again.commands] == [c.message_id for c in first.commands]
    assert again.mapping is None  # nothing new to write


def test_stale_observation_is_ignored() -> None:
    w = World()
    eid = w.user_write(Side.GAROON, None, _ev())
    w.settle()
    m = w.mappings[w.owner[eid]]
    old = _obs(
        sid=eid, version="0", modified_at=(NOW - timedelta(days=9)).isoformat(), event=_ev("older")
    )
    assert decide(m, old, w.ctx).rule == "stale-observation"


def test_stale_result_is_ignored() -> None:
    w = World()
    w.user_write(Side.GAROON, None, _ev())
    w.step("obs", 0)
    w.step("cmd", 0)
    result = w.results[0]
    w.settle()
    m = w.mappings[result.mapping_id]
    assert apply_result(m, result, w.ctx).rule == "stale-result"


def test_meeting_copies_share_one_mapping_and_external_organizer_creates_once() -> None:
    outsider = Person(email="boss@partner.example", name="Boss")
    ev = _ev(organizer=outsider)
    a = _obs(Side.GRAPH, "copy-in-user1", ical_uid="ICAL", event=ev, is_organizer_copy=False)
    b = _obs(Side.GRAPH, "copy-in-user2", ical_uid="ICAL", event=ev, is_organizer_copy=False)
    assert mapping_id_for("t1", a) == mapping_id_for("t1", b)
    d = decide(None, a, _ctx())
    assert d.commands
    assert d.commands[0].idempotency_key == mapping_id_for("t1", b)
    linked = _obs(
        Side.GRAPH,
        "c3",
        ical_uid="I2",
        is_organizer_copy=False,
        event=_ev(organizer=Person(email="user1@contoso.example")),
    )
    assert decide(None, linked, _ctx()).rule == "attendee-copy"


def test_only_events_edited_after_linking_unless_backfilled() -> None:
    ctx = _ctx(linked_at=NOW)
    before = _obs(modified_at=(NOW - timedelta(hours=1)).isoformat())
    assert decide(None, before, ctx).rule == "outside-window"
    backfill = _ctx(linked_at=NOW, policy=SyncPolicy(backfill_from=date(2026, 1, 1)))
    assert decide(None, before, backfill).commands


def test_an_event_saved_in_the_second_of_linking_is_synced() -> None:
    # Garoon stamps edits to the whole second: an event created 300 ms after linking reads as
    # saved before it. It must sync, not be left out as "before the user was linked".
    ctx = _ctx(linked_at=NOW.replace(microsecond=300_000))
    same_second = _obs(modified_at=NOW.replace(microsecond=0).isoformat())
    assert decide(None, same_second, ctx).commands


def test_repeat_window_is_configurable() -> None:
    far = Recurrence(frequency=Frequency.DAILY, start_date=date(2026, 9, 1))
    start = datetime(2026, 9, 1, 1, tzinfo=UTC)
    ev = NormalizedEvent(
        start=start, end=start + timedelta(hours=1), timezone="Asia/Tokyo", recurrence=far
    )
    short = _ctx(policy=SyncPolicy(repeat_window_days=30))
    assert decide(None, _obs(event=ev), short).rule == "outside-window"
    assert decide(None, _obs(event=ev), _ctx()).commands


def test_concurrent_edit_in_a_write_result_is_merged() -> None:
    w = World()
    eid = w.user_write(Side.GAROON, None, _ev())
    w.settle()
    m = w.mappings[w.owner[eid]]
    gid = m.graph.id
    assert gid is not None
    ev = w.cal[Side.GAROON].events[eid].event
    w.user_write(Side.GAROON, eid, ev.model_copy(update={"title": "from garoon"}))
    w.step("obs", 0)  # decides: update Graph (base_version = current)
    # A user edits another field on Graph without bumping what we compare (same version).
    copy = w.cal[Side.GRAPH].events[gid]
    copy.event = copy.event.model_copy(update={"location": "Room 7"})
    w.settle()
    assert w.cal[Side.GAROON].events[eid].event.location == "Room 7"
    assert w.cal[Side.GRAPH].events[gid].event.title == "from garoon"


def test_explain_lists_actions_and_guard_verdicts() -> None:
    from kakehashi.engine.guard import Listing

    w = World()
    eid = w.user_write(Side.GAROON, None, _ev("planned"))
    obs = w.observations[0][0]
    report = explain([], [obs], w.ctx, listings=[Listing(Side.GRAPH, frozenset())])
    (entry,) = report.actions
    assert (entry.action, entry.rule, entry.target_side, entry.title) == (
        ActionKind.CREATE.value,
        "create",
        Side.GRAPH,
        "planned",
    )
    assert entry.source_id == eid
    assert report.guards[0].allowed  # nothing mapped yet: an empty listing deletes nothing


def _people(*answers: tuple[str, Response, str]) -> tuple[Person, ...]:
    return tuple(
        Person(garoon_login=login, email=f"{login}@contoso.example", response=r, comment=c)
        for login, r, c in answers
    )


def _attendance_meeting(w: World) -> tuple[str, str, NormalizedEvent]:
    """A settled Garoon meeting with an attendance check and two linked attendees."""
    org = Person(garoon_login="user0", email="user0@contoso.example")
    ev = _ev(
        "check",
        organizer=org,
        attendance_check=True,
        attendees=_people(("user1", Response.NONE, ""), ("user2", Response.NONE, "")),
    )
    gid = w.user_write(Side.GAROON, None, ev)
    w.settle()
    mapping = w.mappings[w.owner[gid]]
    assert mapping.graph.id is not None
    return gid, mapping.graph.id, ev


def test_garoon_answer_is_given_once_in_outlook_and_its_echo_is_quiet() -> None:
    w = World()
    gid, oid, ev = _attendance_meeting(w)
    assert w.cal[Side.GRAPH].events[oid].event.attendance_check  # responseRequested
    answered = ev.model_copy(
        update={
            "attendees": _people(
                ("user1", Response.ACCEPTED, "行きます"), ("user2", Response.NONE, "")
            )
        }
    )
    w.user_write(Side.GAROON, gid, answered)
    w.step("obs", 0)
    [cmd] = w.commands
    assert (cmd.op, cmd.side, cmd.target_id) == (CommandOp.RESPOND, Side.GRAPH, oid)
    assert [(p.email, p.response, p.comment) for p in cmd.responses] == [
        ("user1@contoso.example", Response.ACCEPTED, "行きます")
    ]
    writes = {s: c.writes for s, c in w.cal.items()}
    w.settle()
    # One answer in Outlook; the organizer's copy showing it is an echo: no write anywhere.
    assert w.cal[Side.GRAPH].writes == writes[Side.GRAPH] + 1
    assert w.cal[Side.GAROON].writes == writes[Side.GAROON]
    shown = {p.email: p.response for p in w.cal[Side.GRAPH].events[oid].event.attendees}
    assert shown == {
        "user1@contoso.example": Response.ACCEPTED,
        "user2@contoso.example": Response.NONE,
    }
    assert not w.echo_writes
    # Observed again (a sweep), nothing is answered a second time.
    w.observe(Side.GAROON, gid)
    w.observe(Side.GRAPH, oid)
    w.drain()
    assert not [c for c in w.commands if c.op == CommandOp.RESPOND]
    assert w.cal[Side.GRAPH].writes == writes[Side.GRAPH] + 1


def test_outlook_answer_writes_nothing_to_garoon() -> None:
    """Garoon REST cannot set another user's answer: the Garoon event keeps its own."""
    w = World()
    gid, oid, _ = _attendance_meeting(w)
    graph_ev = w.cal[Side.GRAPH].events[oid].event
    answered = graph_ev.model_copy(
        update={
            "attendees": tuple(
                p.model_copy(update={"response": Response.DECLINED})
                if p.email == "user2@contoso.example"
                else p
                for p in graph_ev.attendees
            )
        }
    )
    writes = {s: c.writes for s, c in w.cal.items()}
    w.user_write(Side.GRAPH, oid, answered)
    w.settle()
    assert {s: c.writes for s, c in w.cal.items()} == writes
    assert all(p.response == Response.NONE for p in w.cal[Side.GAROON].events[gid].event.attendees)
