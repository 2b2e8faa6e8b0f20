"""Regression tests for bugs the connectors found at the engine's seams (fixes 4-8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from kakehashi.contracts.event import (
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Response,
    Weekday,
)
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.engine.decide import decide
from kakehashi.engine.decision import other as other_side
from kakehashi.engine.translate import garoon_rest, garoon_soap
from kakehashi.engine.translate.project import project
from tests.engine import sim
from tests.engine.sim import GAROON_CAP_DAYS, TENANT, World
from tests.engine.strategies import CTX


def _start() -> datetime:
    return datetime(2026, 6, 2, 1, tzinfo=UTC)


def _meeting(**kw: Any) -> NormalizedEvent:
    return NormalizedEvent(
        title="meeting",
        start=_start(),
        end=_start() + timedelta(hours=1),
        timezone="Asia/Tokyo",
        organizer=Person(garoon_login="user0", email="user0@contoso.example", name="Org"),
        attendees=(
            Person(
                garoon_login="user1",
                email="user1@contoso.example",
                name="A",
                response=Response.ACCEPTED,
            ),
            Person(
                garoon_login="user2",
                email="user2@contoso.example",
                name="B",
                response=Response.TENTATIVE,
            ),
        ),
        **kw,
    )


def _quiet(w: World) -> None:
    writes = {s: c.writes for s, c in w.cal.items()}
    w.settle()
    assert writes == {s: c.writes for s, c in w.cal.items()}, "ping-pong"
    assert not w.echo_writes, w.echo_writes


# ------------------------------------------------------------------ 4: repeat types
def _rest_series(kind: str) -> dict[str, Any]:
    return {
        "eventType": "REPEATING",
        "subject": "s",
        "start": {"dateTime": "2026-06-02T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2026-06-02T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "repeatInfo": {
            "type": kind,
            "period": {"start": "2026-06-02", "end": "2026-09-01"},
            "dayOfWeek": "TUE",
            "exclusiveDateTimes": [],
        },
    }


def test_both_spellings_of_every_2_and_3_weeks() -> None:
    for kind, interval in [
        ("EVERY_2WEEKS", 2),
        ("EVERY_TWO_WEEKS", 2),
        ("EVERY_3WEEKS", 3),
        ("EVERY_THREE_WEEKS", 3),
    ]:
        ev = garoon_rest.from_garoon(_rest_series(kind), CTX)
        assert ev.recurrence is not None
        assert ev.recurrence.frequency == Frequency.WEEKLY
        assert ev.recurrence.interval == interval
        assert ev.recurrence.weekdays == (Weekday.TU,)


def test_unknown_repeat_type_is_an_explicit_unexpressible_result() -> None:
    ev = garoon_rest.from_garoon(_rest_series("EVERY_FULL_MOON"), CTX)  # no KeyError
    assert ev.recurrence is not None
    assert ev.recurrence.frequency == Frequency.UNKNOWN
    soap = garoon_soap.recurrence_from(
        {"condition": {"type": "fullmoon", "start_date": "2026-06-02"}}, "Asia/Tokyo"
    )
    assert soap.frequency == Frequency.UNKNOWN
    w = World()
    obs = ObservedEvent(
        tenant_id=TENANT, side=Side.GAROON, user_link_id="link-1", source_id="g9", event=ev
    )
    d = decide(None, obs, w.ctx)
    assert d.rule == "unexpressible-repeat"
    assert not d.commands
    assert d.mapping is None
    # A mapped series whose rule became unreadable: kept as synced, nothing written.
    sid = w.user_write(Side.GAROON, None, garoon_rest.from_garoon(_rest_series("EVERY_WEEK"), CTX))
    w.settle()
    m = w.mappings[w.owner[sid]]
    obs = obs.model_copy(update={"source_id": sid, "version": "99"})
    d = decide(m, obs, w.ctx)
    assert d.rule == "unexpressible-repeat"
    assert not d.commands


# ------------------------------------------------------------------ 5: responses
def test_projection_keeps_responses_the_side_cannot_write() -> None:
    ev = _meeting()
    fresh = project(ev, Side.GAROON, CTX)
    assert {p.response for p in fresh.attendees} == {Response.NONE}
    assert {p.response for p in project(ev, Side.GRAPH, CTX).attendees} == {Response.NONE}
    held = ev.model_copy(
        update={
            "attendees": tuple(
                p.model_copy(update={"response": Response.DECLINED}) for p in ev.attendees
            )
        }
    )
    kept = project(ev, Side.GAROON, CTX, held=held)
    assert {p.response for p in kept.attendees} == {Response.DECLINED}


def test_meeting_with_responses_reads_back_as_no_edit() -> None:
    w = World()
    oid = w.user_write(Side.GRAPH, None, _meeting())
    w.settle()
    assert w.cal[Side.GAROON].writes == 1
    assert w.cal[Side.GRAPH].writes == 0, "the read-back of the create was taken for an edit"
    held = w.cal[Side.GRAPH].events[oid].event
    assert {p.response for p in held.attendees} == {Response.ACCEPTED, Response.TENTATIVE}
    _quiet(w)


# ------------------------------------------------------------------ 6: open-ended series
def test_open_ended_series_capped_by_garoon_is_no_change() -> None:
    w = World()
    series = NormalizedEvent(
        title="forever",
        start=_start(),
        end=_start() + timedelta(hours=1),
        timezone="Asia/Tokyo",
        recurrence=Recurrence(
            frequency=Frequency.WEEKLY, weekdays=(Weekday.TU,), start_date=date(2026, 6, 2)
        ),
    )
    oid = w.user_write(Side.GRAPH, None, series)
    w.settle()
    m = w.mappings[w.owner[oid]]
    assert m.garoon.id
    garoon = w.cal[Side.GAROON].events[m.garoon.id].event
    assert garoon.recurrence is not None
    assert garoon.recurrence.until == date(2026, 6, 2) + timedelta(days=GAROON_CAP_DAYS)
    graph = w.cal[Side.GRAPH].events[oid].event
    assert graph.recurrence is not None
    assert graph.recurrence.until is None
    assert w.cal[Side.GRAPH].writes == 0, "Garoon's cap was written back as an end date"
    _quiet(w)
    # A real end set on Garoon (inside the horizon) still syncs.
    rule = garoon.recurrence.model_copy(update={"until": date(2026, 8, 25)})
    w.user_write(Side.GAROON, m.garoon.id, garoon.model_copy(update={"recurrence": rule}))
    w.settle()
    graph = w.cal[Side.GRAPH].events[oid].event
    assert graph.recurrence is not None
    assert graph.recurrence.until == date(2026, 8, 25)
    assert [c for c in w.commands if c.op == CommandOp.DELETE] == []


# ------------------------------------------------------------------ 8: update mails
def test_meeting_updates_say_they_mail_attendees() -> None:
    from kakehashi.engine.decision import mails_attendees
    from kakehashi.engine.merge import GROUPS

    meeting = _meeting()
    alone = meeting.model_copy(update={"attendees": ()})
    for group in ("title", "body", "when", "location"):
        fields = list(GROUPS[group])
        assert mails_attendees(Side.GRAPH, CommandOp.UPDATE, meeting, fields), group
        assert not mails_attendees(Side.GRAPH, CommandOp.UPDATE, alone, fields), group
        assert not mails_attendees(Side.GAROON, CommandOp.UPDATE, meeting, fields), group
    assert not mails_attendees(Side.GRAPH, CommandOp.UPDATE, meeting, ["category"])
    # Through the decision: a Garoon title edit of a synced meeting reaches attendees.
    w = World()
    gid = w.user_write(Side.GAROON, None, _meeting())
    w.settle()
    ev = w.cal[Side.GAROON].events[gid].event
    w.user_write(Side.GAROON, gid, ev.model_copy(update={"title": "new subject"}))
    w.step("obs", 0)
    [cmd] = [c for c in w.commands if c.op == CommandOp.UPDATE]
    assert cmd.side == Side.GRAPH
    assert cmd.notify_attendees
    w.settle()
    plain = w.user_write(Side.GAROON, None, alone.model_copy(update={"organizer": None}))
    w.settle()
    ev = w.cal[Side.GAROON].events[plain].event
    w.user_write(Side.GAROON, plain, ev.model_copy(update={"title": "t2"}))
    w.step("obs", 0)
    assert [c.notify_attendees for c in w.commands if c.op == CommandOp.UPDATE] == [False]


# ------------------------------------------------------------------ 7: Teams join block
_RULE80 = "_" * 80
_JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"


def test_strip_teams_block_variants() -> None:
    from kakehashi.engine import body

    outlook = (
        f"Agenda\nline 2\n\n{_RULE80}\nMicrosoft Teams meeting\n"
        f"Join on your computer, mobile app or room device\n"
        f"Click here to join the meeting<{_JOIN}>\nMeeting ID: 123\n{_RULE80}"
    )
    assert body.strip_teams_blob(outlook) == "Agenda\nline 2"
    glued = f"Agenda{'_' * 16}\nMicrosoft Teams meeting\nJoin<{_JOIN}>\n{'_' * 16}\nAfter"
    assert body.strip_teams_blob(glued) == "Agenda\nAfter"
    html = (
        '<html><body><div>Agenda</div><div style="width:100%"><span>'
        f"{_RULE80}</span></div><div>Microsoft Teams meeting</div>"
        f'<div><a href="{_JOIN}">Join</a></div><div><span>{_RULE80}</span></div></body></html>'
    )
    assert body.strip_teams_blob(body.html_to_text(html)) == "Agenda"
    # Underscore rules without Teams text are the user's: kept.
    mine = f"a\n{'_' * 12}\nb\n{'_' * 12}\nc"
    assert body.strip_teams_blob(mine) == mine


def test_teams_meeting_body_from_the_simulator_is_no_edit() -> None:
    from kakehashi.engine.merge import changed_groups
    from kakehashi.engine.translate import graph
    from kakehashi.graph_sim.calendar import CalendarStore
    from kakehashi.graph_sim.model import User

    store = CalendarStore(
        find_user=lambda *_: None,
        get_user=lambda _: None,  # type: ignore[arg-type,return-value]
        on_change=lambda _: None,
        send_mail=lambda _: None,
        is_room=lambda *_: False,
    )
    user = User("tid", "uid", "alice@contoso.example", "alice@contoso.example", "Alice")
    for body_in in (
        None,  # the engine's own HTML body
        {"contentType": "text", "content": "Agenda\nline 2"},
    ):
        ev = _meeting(body="Agenda\nline 2")
        props = graph.to_graph(ev, CTX)
        props["isOnlineMeeting"] = True
        props.pop("onlineMeeting", None)
        if body_in is not None:
            props["body"] = body_in
        store._teams(user, props, "e1")
        assert props["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
        back = graph.from_graph(props, CTX)
        assert back.body == "Agenda\nline 2"
        wrote = project(ev.model_copy(update={"join_url": back.join_url}), Side.GRAPH, CTX)
        assert "body" not in changed_groups(wrote, back)


# ------------------------------------------------------------------ directory names
def test_linked_peoples_directory_names_are_no_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Garoon shows a linked user's Garoon name (佐藤 花子), Outlook the directory's (Sato
    Hanako); neither side lets us write the other's. Taking that difference for an edit made
    every synced event ping-pong forever (organizer: Garoon PATCH after Garoon PATCH)."""

    def directory(p: Person) -> Person:
        return p.model_copy(update={"name": f"dir:{p.garoon_login}"}) if p.linked else p

    plain = sim.held

    def outlook_names(
        ev: NormalizedEvent, side: Side, keep: NormalizedEvent | None = None
    ) -> NormalizedEvent:
        out = plain(ev, side, keep)
        if side != Side.GRAPH:
            return out
        return out.model_copy(
            update={
                "organizer": directory(out.organizer) if out.organizer else None,
                "attendees": tuple(directory(p) for p in out.attendees),
            }
        )

    monkeypatch.setattr(sim, "held", outlook_names)
    for origin in (Side.GAROON, Side.GRAPH):
        w = World()
        w.user_write(origin, None, _meeting())
        w.settle()
        assert [w.cal[s].writes for s in (origin, other_side(origin))] == [0, 1]
        _quiet(w)
    # An unlinked person's name is content (it travels in the body block): still synced.
    w = World()
    guest = Person(email="guest@partner.example", name="Guest")
    gid = w.user_write(Side.GAROON, None, _meeting().model_copy(update={"attendees": (guest,)}))
    w.settle()
    renamed = (
        w.cal[Side.GAROON]
        .events[gid]
        .event.model_copy(
            update={"attendees": (guest.model_copy(update={"name": "Guest Renamed"}),)}
        )
    )
    w.user_write(Side.GAROON, gid, renamed)
    w.settle()
    [copy] = w.cal[Side.GRAPH].events.values()
    assert [p.name for p in copy.event.attendees] == ["Guest Renamed"]
