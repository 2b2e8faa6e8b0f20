"""Recurrence expansion (unit) and occurrences, exceptions, cancellations over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kakehashi.graph_sim import recurrence

from .conftest import Graph, Seeded

UTC = dt.UTC


def _dates(
    pattern: dict[str, Any],
    rng: dict[str, Any],
    start: str = "2026-01-01T09:00:00+09:00",
    zone: str = "Tokyo Standard Time",
    until: str = "2030-01-01",
) -> list[str]:
    first = dt.datetime.fromisoformat(start)
    rec = recurrence.validate(
        {
            "pattern": {"interval": 1, **pattern},
            "range": {"startDate": first.date().isoformat(), **rng},
        },
        first.date(),
    )
    starts = recurrence.occurrence_starts(
        rec, first.astimezone(UTC), zone, dt.datetime.fromisoformat(until).replace(tzinfo=UTC)
    )
    return [s.astimezone(first.tzinfo).date().isoformat() for s in starts]


def test_daily_interval_numbered() -> None:
    assert _dates(
        {"type": "daily", "interval": 2}, {"type": "numbered", "numberOfOccurrences": 3}
    ) == ["2026-01-01", "2026-01-03", "2026-01-05"]


def test_weekly_with_first_day_of_week_and_end_date() -> None:
    # 2026-01-01 is a Thursday. Every 2 weeks on Mon+Thu, weeks starting Monday.
    got = _dates(
        {
            "type": "weekly",
            "interval": 2,
            "daysOfWeek": ["monday", "thursday"],
            "firstDayOfWeek": "monday",
        },
        {"type": "endDate", "endDate": "2026-01-31"},
    )
    assert got == ["2026-01-01", "2026-01-12", "2026-01-15", "2026-01-26", "2026-01-29"]
    sunday = _dates(
        {
            "type": "weekly",
            "interval": 2,
            "daysOfWeek": ["monday", "thursday"],
            "firstDayOfWeek": "sunday",
        },
        {"type": "endDate", "endDate": "2026-01-20"},
    )
    assert sunday == ["2026-01-01", "2026-01-12", "2026-01-15"]


def test_monthly_and_yearly_patterns() -> None:
    assert _dates(
        {"type": "absoluteMonthly", "dayOfMonth": 31},
        {"type": "numbered", "numberOfOccurrences": 3},
    ) == ["2026-01-31", "2026-03-31", "2026-05-31"]
    assert _dates(
        {"type": "relativeMonthly", "daysOfWeek": ["friday"], "index": "last"},
        {"type": "numbered", "numberOfOccurrences": 2},
    ) == ["2026-01-30", "2026-02-27"]
    assert _dates(
        {"type": "relativeMonthly", "daysOfWeek": ["monday", "tuesday"], "index": "first"},
        {"type": "numbered", "numberOfOccurrences": 2},
    ) == ["2026-01-05", "2026-02-02"]
    assert _dates(
        {"type": "absoluteYearly", "dayOfMonth": 15, "month": 3},
        {"type": "numbered", "numberOfOccurrences": 2},
    ) == ["2026-03-15", "2027-03-15"]
    assert _dates(
        {"type": "relativeYearly", "daysOfWeek": ["monday"], "index": "second", "month": 1},
        {"type": "numbered", "numberOfOccurrences": 2},
    ) == ["2026-01-12", "2027-01-11"]


def test_no_end_is_bounded_by_the_window_and_dst_keeps_wall_clock() -> None:
    got = _dates({"type": "daily"}, {"type": "noEnd"}, until="2026-01-11")
    assert len(got) == 10
    first = dt.datetime(2026, 3, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    rec = recurrence.validate(
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "numberOfOccurrences": 3, "startDate": "2026-03-07"},
        },
        first.date(),
    )
    starts = list(
        recurrence.occurrence_starts(
            rec, first.astimezone(UTC), "Eastern Standard Time", dt.datetime(2027, 1, 1, tzinfo=UTC)
        )
    )
    assert [s.hour for s in starts] == [15, 14, 14]  # 10:00 EST, then 10:00 EDT from 8 March


async def test_series_occurrences_exceptions_and_cancellations(
    graph: Graph, seeded: Seeded
) -> None:
    body = {
        "subject": "Standup",
        "start": {"dateTime": "2026-06-01T09:00:00", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": "2026-06-01T09:15:00", "timeZone": "Tokyo Standard Time"},
        "recurrence": {
            "pattern": {
                "type": "weekly",
                "interval": 1,
                "daysOfWeek": ["monday", "wednesday"],
                "firstDayOfWeek": "sunday",
            },
            "range": {"type": "endDate", "startDate": "2026-06-01", "endDate": "2026-06-30"},
        },
    }
    master = (await graph.post(f"/users/{seeded.alice}/events", body)).body
    assert master["type"] == "seriesMaster"
    window = "startDateTime=2026-06-01T00:00:00%2B09:00&endDateTime=2026-06-15T00:00:00%2B09:00"
    inst = await graph.get(f"/users/{seeded.alice}/events/{master['id']}/instances?{window}")
    assert [i["start"]["dateTime"][:10] for i in inst.body["value"]] == [
        "2026-06-01",
        "2026-06-03",
        "2026-06-08",
        "2026-06-10",
    ]
    assert all(
        i["type"] == "occurrence" and i["seriesMasterId"] == master["id"]
        for i in inst.body["value"]
    )
    assert len({i["iCalUId"] for i in inst.body["value"]}) == 4
    missing = await graph.get(f"/users/{seeded.alice}/events/{master['id']}/instances")
    assert missing.status == 400
    second, third = inst.body["value"][1], inst.body["value"][2]
    moved = await graph.patch(
        f"/users/{seeded.alice}/events/{second['id']}",
        {
            "subject": "Standup (moved)",
            "start": {"dateTime": "2026-06-03T10:00:00", "timeZone": "Tokyo Standard Time"},
            "end": {"dateTime": "2026-06-03T10:15:00", "timeZone": "Tokyo Standard Time"},
        },
    )
    assert moved.status == 200
    assert moved.body["type"] == "exception"
    assert (await graph.delete(f"/users/{seeded.alice}/events/{third['id']}")).status == 204
    view = await graph.get(
        f"/users/{seeded.alice}/calendarView?{window}",
        headers={"Prefer": 'outlook.timezone="Tokyo Standard Time"'},
    )
    rows = [(v["type"], v["start"]["dateTime"][:16], v["subject"]) for v in view.body["value"]]
    assert rows == [
        ("occurrence", "2026-06-01T09:00", "Standup"),
        ("exception", "2026-06-03T10:00", "Standup (moved)"),
        ("occurrence", "2026-06-10T09:00", "Standup"),
    ]
    assert (await graph.get(f"/users/{seeded.alice}/events/{third['id']}")).status == 404
    series = await graph.get(f"/users/{seeded.alice}/events")
    assert [e["type"] for e in series.body["value"]] == ["seriesMaster"]
    bad = dict(
        body,
        recurrence={
            "pattern": {"type": "weekly", "interval": 1},
            "range": {"type": "noEnd", "startDate": "2026-06-01"},
        },
    )
    assert (await graph.post(f"/users/{seeded.alice}/events", bad)).status == 400


# (pattern, range, series start date, query window [from, to), expected local dates)
HTTPS_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, tuple[str, str], list[str]]] = {
    "daily": (
        {"type": "daily", "interval": 3},
        {"type": "noEnd"},
        "2026-04-01",
        ("2026-04-01", "2026-04-15"),
        ["2026-04-01", "2026-04-04", "2026-04-07", "2026-04-10", "2026-04-13"],
    ),
    "weekly": (
        # 2026-04-01 is a Wednesday: the first occurrence is the Thursday after it.
        {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday", "thursday"]},
        {"type": "endDate", "endDate": "2026-04-30"},
        "2026-04-01",
        ("2026-04-01", "2026-04-15"),
        ["2026-04-02", "2026-04-07", "2026-04-09", "2026-04-14"],
    ),
    "absoluteMonthly": (
        {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15},
        {"type": "noEnd"},
        "2026-01-15",
        ("2026-01-01", "2026-05-01"),
        ["2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15"],
    ),
    "relativeMonthly": (
        {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["wednesday"], "index": "third"},
        {"type": "noEnd"},
        "2026-01-01",
        ("2026-01-01", "2026-07-01"),
        ["2026-01-21", "2026-03-18", "2026-05-20"],
    ),
    "absoluteYearly": (
        {"type": "absoluteYearly", "interval": 1, "dayOfMonth": 4, "month": 7},
        {"type": "numbered", "numberOfOccurrences": 3},
        "2026-07-04",
        ("2026-01-01", "2031-01-01"),
        ["2026-07-04", "2027-07-04", "2028-07-04"],
    ),
    "relativeYearly": (
        {
            "type": "relativeYearly",
            "interval": 1,
            "daysOfWeek": ["friday"],
            "index": "last",
            "month": 11,
        },
        {"type": "endDate", "endDate": "2028-12-31"},
        "2026-01-01",
        ("2026-01-01", "2031-01-01"),
        ["2026-11-27", "2027-11-26", "2028-11-24"],
    ),
}

TOKYO = {"Prefer": 'outlook.timezone="Tokyo Standard Time"'}


@pytest.mark.parametrize("kind", sorted(HTTPS_CASES))
async def test_each_pattern_expands_over_https(graph: Graph, seeded: Seeded, kind: str) -> None:
    pattern, rng, first, (since, until), expected = HTTPS_CASES[kind]
    created = await graph.post(
        f"/users/{seeded.alice}/events",
        {
            "subject": f"Series {kind}",
            "start": {"dateTime": f"{first}T09:00:00", "timeZone": "Tokyo Standard Time"},
            "end": {"dateTime": f"{first}T09:30:00", "timeZone": "Tokyo Standard Time"},
            "recurrence": {"pattern": pattern, "range": {"startDate": first, **rng}},
        },
    )
    assert created.status == 201, created.body
    master = created.body
    assert master["type"] == "seriesMaster"
    assert master["recurrence"]["pattern"]["type"] == kind
    window = f"startDateTime={since}T00:00:00%2B09:00&endDateTime={until}T00:00:00%2B09:00"
    inst = await graph.get(
        f"/users/{seeded.alice}/events/{master['id']}/instances?{window}", headers=TOKYO
    )
    assert inst.status == 200, inst.body
    assert "@odata.nextLink" not in inst.body
    rows = inst.body["value"]
    assert [r["start"]["dateTime"][:10] for r in rows] == expected
    assert {(r["start"]["dateTime"][11:16], r["end"]["dateTime"][11:16]) for r in rows} == {
        ("09:00", "09:30")
    }
    assert all(r["type"] == "occurrence" and r["seriesMasterId"] == master["id"] for r in rows)
    view = await graph.get(f"/users/{seeded.alice}/calendarView?{window}", headers=TOKYO)
    assert [v["start"]["dateTime"][:10] for v in view.body["value"]] == expected
    assert {v["id"] for v in view.body["value"]} == {r["id"] for r in rows}
