"""Switches for [unverified] behaviour, and smaller REST/SOAP details."""

from __future__ import annotations

from .conftest import Garoon, regular, seed
from .soap_helpers import events_of, repeat_event
from .test_soap_repeat import Q1, add_series, occurrences


async def test_month_overflow_clamp_and_biweekly_names(garoon: Garoon) -> None:
    garoon.sim.settings.month_day_overflow = "clamp"
    garoon.sim.settings.rest_every_two_weeks = "EVERY_2WEEKS"
    await add_series(garoon, {**Q1, "type": "month", "day": "31"})
    rows = await occurrences(garoon)
    assert [r["start"]["dateTime"][5:10] for r in rows] == ["01-31", "02-29", "03-31"]
    garoon.sim.reset()
    seed(garoon.server)
    garoon.sim.settings.rest_every_two_weeks = "EVERY_2WEEKS"
    await add_series(garoon, {**Q1, "type": "ONCE_EVERY_TWO_WEEKS", "week": "1"})
    rows = await occurrences(garoon)
    assert rows[0]["repeatInfo"]["type"] == "EVERY_2WEEKS"


async def test_range_mode_start(garoon: Garoon) -> None:
    await garoon.call("POST", "/schedule/events", json=regular())  # 10:00-11:00
    window = {"rangeStart": "2024-03-04T10:30:00+09:00", "rangeEnd": "2024-03-04T12:00:00+09:00"}
    assert len(await garoon.list_events(**window)) == 1
    garoon.sim.settings.range_mode = "start"
    assert await garoon.list_events(**window) == []


async def test_keyword_and_fields(garoon: Garoon) -> None:
    await garoon.call("POST", "/schedule/events", json=regular("予算会議", notes="Q3"))
    await garoon.call("POST", "/schedule/events", json=regular("雑談"))
    got = await garoon.list_events(keyword="q3", fields="id,subject")
    assert [set(e) for e in got] == [{"id", "subject"}]
    assert got[0]["subject"] == "予算会議"


async def test_split_hint_id_switch_and_package_soap_path(garoon: Garoon) -> None:
    garoon.sim.settings.hint_split_event_id = "original"
    series = await add_series(garoon, {**Q1, "type": "day", "end_date": "2024-01-03"})
    garoon.sim.person_edit("sato", series["id"], {"subject": "x"}, "THIS_ONLY", "2024-01-02")
    assert garoon.sim.hints.emitted[-1]["eventId"] == series["id"]
    url = garoon.soap_url.removesuffix(".csp")
    assert url.endswith("/cbpapi/schedule/api")
    garoon.soap_url = url
    status, text = await garoon.soap(
        "ScheduleGetEventsById", f"<event_id>{series['id']}</event_id>"
    )
    assert status == 200, text


async def test_soap_banner_and_allday(garoon: Garoon) -> None:
    banner = (
        '<schedule_event id="dummy" event_type="banner" version="-1" public_type="private" '
        'plan="外出" detail="出張" timezone="Asia/Tokyo"><members><member><user id="1"/></member>'
        '</members><when><date start="2024-05-01" end="2024-05-03"/></when></schedule_event>'
    )
    status, text = await garoon.soap("ScheduleAddEvents", banner)
    assert status == 200, text
    ev = events_of(text)[0]
    _, got = await garoon.call("GET", f"/schedule/events/{ev['id']}")
    assert got["eventType"] == "ALL_DAY"
    assert got["visibilityType"] == "PRIVATE"
    assert got["eventMenu"] == "外出"
    assert got["start"]["dateTime"] == "2024-05-01T00:00:00+09:00"
    assert got["end"]["dateTime"] == "2024-05-03T23:59:59+09:00"
    allday_series = repeat_event(
        {"type": "weekday", "start_date": "2024-05-06", "end_date": "2024-05-07"}
    )
    status, text = await garoon.soap("ScheduleAddEvents", allday_series)
    rows = await garoon.list_events(
        rangeStart="2024-05-06T00:00:00+09:00", rangeEnd="2024-05-08T00:00:00+09:00"
    )
    assert [r["isAllDay"] for r in rows] == [True, True]
    assert rows[0]["repeatInfo"]["isAllDay"] is True
