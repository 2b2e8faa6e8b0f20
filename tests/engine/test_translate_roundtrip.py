"""normalized -> Garoon -> normalized and normalized -> Graph -> normalized are identities."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings

from kakehashi.contracts.event import NormalizedEvent, Response
from kakehashi.engine import body
from kakehashi.engine.translate import garoon_rest, graph
from tests.engine.strategies import CTX, events


@settings(max_examples=150, deadline=None)
@given(events(garoon=True))
def test_garoon_round_trip(ev: NormalizedEvent) -> None:
    assert garoon_rest.from_garoon(garoon_rest.to_garoon(ev, CTX), CTX) == ev


@settings(max_examples=150, deadline=None)
@given(events(graph=True))
def test_graph_round_trip(ev: NormalizedEvent) -> None:
    assert graph.from_graph(graph.to_graph(ev, CTX), CTX) == ev


@settings(max_examples=60, deadline=None)
@given(events(garoon=True))
def test_garoon_to_graph_to_garoon_keeps_what_both_express(ev: NormalizedEvent) -> None:
    """Through the other side and back (the path every synced edit takes)."""
    via_graph = graph.from_graph(graph.to_graph(ev, CTX), CTX)
    back = garoon_rest.from_garoon(garoon_rest.to_garoon(via_graph, CTX), CTX)
    # Outlook holds an attendance check only for a meeting with someone invited.
    invited = any(p.email for p in ev.attendees)
    expected = ev.model_copy(update={"attendance_check": ev.attendance_check and invited})
    if ev.recurrence and ev.recurrence.day_of_month == 31:
        expected = expected.model_copy(
            update={"recurrence": ev.recurrence.model_copy(update={"day_of_month": -1})}
        )
    assert back == expected


def test_rendering_twice_is_stable() -> None:
    text = "hello\n\n---- Kakehashi ----\nCompany: ACME\n---- /Kakehashi ----"
    once, items = body.parse(text)
    assert body.render(once, items) == text
    assert body.html_to_text(body.text_to_html(text)) == text


def test_teams_blob_is_not_body_text() -> None:
    html = (
        "<html><body><p>Agenda</p><div>________________________________________________</div>"
        "<div>Microsoft Teams meeting</div><div>Join: https://teams.microsoft.com/l/x</div>"
        "<div>________________________________________________</div></body></html>"
    )
    ev = graph.from_graph(
        {
            "subject": "x",
            "body": {"contentType": "html", "content": html},
            "start": {"dateTime": "2026-05-12T10:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-05-12T11:00:00.0000000", "timeZone": "UTC"},
            "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/x"},
        },
        CTX,
    )
    assert ev.body == "Agenda"
    assert ev.join_url == "https://teams.microsoft.com/l/x"


def test_subject_never_prefixed_with_menu() -> None:
    ev = garoon_rest.from_garoon(
        {
            "subject": "定例",
            "eventMenu": "会議",
            "eventType": "REGULAR",
            "start": {"dateTime": "2026-05-12T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-05-12T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
        },
        CTX,
    )
    out = graph.to_graph(ev, CTX)
    assert out["subject"] == "定例"
    assert out["categories"] == ["Meeting"]
    again = graph.to_graph(graph.from_graph(out, CTX), CTX)
    assert again["subject"] == "定例"


def test_complaint_06_all_day_is_midnight_to_midnight_end_exclusive() -> None:
    ev = garoon_rest.from_garoon(
        {
            "subject": "休暇",
            "eventType": "ALL_DAY",
            "isAllDay": True,
            "start": {"dateTime": "2026-05-12T00:00:00+09:00", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-05-14T23:59:59+09:00", "timeZone": "Asia/Tokyo"},
        },
        CTX,
    )
    out = graph.to_graph(ev, CTX)
    assert out["isAllDay"] is True
    assert out["start"] == {
        "dateTime": "2026-05-12T00:00:00.0000000",
        "timeZone": "Tokyo Standard Time",
    }
    assert out["end"]["dateTime"] == "2026-05-15T00:00:00.0000000"
    # Graph reading in UTC (Prefer: outlook.timezone="UTC") still lands on the same days.
    back = garoon_rest.to_garoon(graph.from_graph(out, CTX), CTX)
    assert back["start"]["dateTime"].startswith("2026-05-12T00:00:00")
    assert back["end"]["dateTime"].startswith("2026-05-14T23:59:59")
    assert back["eventType"] == "ALL_DAY"
    assert (ev.end - ev.start) == timedelta(days=3)  # type: ignore[operator]
    assert date(2026, 5, 12) == ev.start.date()  # type: ignore[union-attr]


def test_tentative_response_is_pending_on_garoon() -> None:
    from kakehashi.contracts.event import Person

    p = Person(garoon_login="user1", email="user1@contoso.example", response=Response.TENTATIVE)
    out = garoon_rest._person_out(p)
    assert out["attendanceResponse"]["status"] == "PENDING"


@settings(max_examples=100, deadline=None)
@given(events(garoon=True))
def test_garoon_soap_round_trip(ev: NormalizedEvent) -> None:
    """SOAP has no organizer, attendance responses or attendance check: compare the rest.

    A repeat condition is a daily time slot, so series lasting a day or more are out."""
    if ev.recurrence and not ev.all_day:
        assume(ev.end - ev.start < timedelta(days=1))  # type: ignore[operator]
    from kakehashi.contracts.event import Response as R
    from kakehashi.engine.translate import garoon_soap

    people = tuple(p.model_copy(update={"response": R.NONE}) for p in ev.attendees)
    plain = ev.model_copy(
        update={"organizer": None, "attendees": people, "attendance_check": False}
    )
    plain = NormalizedEvent.model_validate(plain.model_dump())
    assert garoon_soap.from_soap(garoon_soap.to_soap(plain, CTX), CTX) == plain


def test_series_listed_through_a_later_occurrence_starts_graph_on_the_range_date() -> None:
    # Garoon REST lists a series once per occurrence, each with that occurrence's start. Graph
    # refuses a recurrence range whose startDate is not the start's date (400).
    ev = garoon_rest.from_garoon(
        {
            "subject": "朝会",
            "eventType": "REPEATING",
            "start": {"dateTime": "2026-05-14T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-05-14T10:30:00+09:00", "timeZone": "Asia/Tokyo"},
            "repeatInfo": {
                "type": "EVERY_DAY",
                "period": {"start": "2026-05-12", "end": "2026-05-20"},
                "time": {"start": "10:00:00", "end": "10:30:00"},
            },
        },
        CTX,
    )
    out = graph.to_graph(ev, CTX)
    assert out["recurrence"]["range"]["startDate"] == "2026-05-12"
    assert out["start"]["dateTime"] == "2026-05-12T10:00:00.0000000"
    assert out["end"]["dateTime"] == "2026-05-12T10:30:00.0000000"
