"""SOAP contract for repeating events, and how REST then shows them (once per occurrence)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Garoon
from .soap_helpers import events_of, fault_code, find_all, normal_event, repeat_event

Q1 = {
    "start_date": "2024-01-01",
    "end_date": "2024-03-31",
    "start_time": "10:00:00",
    "end_time": "11:00:00",
}
CASES: list[tuple[dict[str, str], str, dict[str, str], list[str]]] = [
    (
        {"type": "day", "end_date": "2024-01-05"},
        "EVERY_DAY",
        {},
        ["01-01", "01-02", "01-03", "01-04", "01-05"],
    ),
    (
        {"type": "weekday", "start_date": "2024-01-04", "end_date": "2024-01-09"},
        "EVERY_WEEKDAY",
        {},
        ["01-04", "01-05", "01-08", "01-09"],
    ),
    (
        {"type": "week", "week": "3", "end_date": "2024-01-31"},
        "EVERY_WEEK",
        {"dayOfWeek": "WED"},
        ["01-03", "01-10", "01-17", "01-24", "01-31"],
    ),
    (
        {"type": "once_every_two_weeks", "week": "1", "end_date": "2024-02-15"},
        "EVERY_TWO_WEEKS",
        {"dayOfWeek": "MON"},
        ["01-01", "01-15", "01-29", "02-12"],
    ),
    (
        {"type": "ONCE_EVERY_THREE_WEEKS", "week": "5", "end_date": "2024-03-01"},
        "EVERY_THREE_WEEKS",
        {"dayOfWeek": "FRI"},
        ["01-05", "01-26", "02-16"],
    ),
    (
        {"type": "1stweek", "week": "1", "end_date": "2024-04-30"},
        "EVERY_1STWEEK",
        {"dayOfWeek": "MON"},
        ["01-01", "02-05", "03-04", "04-01"],
    ),
    (
        {"type": "2ndweek", "week": "2"},
        "EVERY_2NDWEEK",
        {"dayOfWeek": "TUE"},
        ["01-09", "02-13", "03-12"],
    ),
    (
        {"type": "3rdweek", "week": "4"},
        "EVERY_3RDWEEK",
        {"dayOfWeek": "THU"},
        ["01-18", "02-15", "03-21"],
    ),
    (
        {"type": "4thweek", "week": "0"},
        "EVERY_4THWEEK",
        {"dayOfWeek": "SUN"},
        ["01-28", "02-25", "03-24"],
    ),
    (
        {"type": "lastweek", "week": "3"},
        "EVERY_LASTWEEK",
        {"dayOfWeek": "WED"},
        ["01-31", "02-28", "03-27"],
    ),
    (
        {"type": "month", "day": "15"},
        "EVERY_MONTH",
        {"dayOfMonth": "15"},
        ["01-15", "02-15", "03-15"],
    ),
    (
        {"type": "month", "day": "0"},
        "EVERY_MONTH",
        {"dayOfMonth": "EOM"},
        ["01-31", "02-29", "03-31"],
    ),
    ({"type": "month", "day": "31"}, "EVERY_MONTH", {"dayOfMonth": "31"}, ["01-31", "03-31"]),
]


async def add_series(garoon: Garoon, cond: dict[str, str], **kw: Any) -> dict[str, Any]:
    status, text = await garoon.soap("ScheduleAddEvents", repeat_event(cond, **kw))
    assert status == 200, text
    return events_of(text)[0]


async def occurrences(
    garoon: Garoon, start: str = "2024-01-01T00:00:00+09:00", end: str = "2024-06-01T00:00:00+09:00"
) -> list[dict[str, Any]]:
    return await garoon.list_events(
        rangeStart=start, rangeEnd=end, orderBy="start asc", limit="1000"
    )


@pytest.mark.parametrize(
    ("cond", "rest_type", "extra", "dates"),
    CASES,
    ids=[c[0]["type"] + c[0].get("day", "") for c in CASES],
)
async def test_every_repeat_type_lists_once_per_occurrence(
    garoon: Garoon, cond: dict[str, str], rest_type: str, extra: dict[str, str], dates: list[str]
) -> None:
    series = await add_series(garoon, {**Q1, **cond})
    assert series["event_type"] == "repeat"
    assert series["condition"]["type"] == cond["type"].lower()  # emitted lowercase
    rows = await occurrences(garoon)
    assert [r["start"]["dateTime"][5:10] for r in rows] == dates
    assert {r["id"] for r in rows} == {series["id"]}
    assert all(r["eventType"] == "REPEATING" for r in rows)
    assert rows[0]["start"]["dateTime"].endswith("T10:00:00+09:00")
    assert rows[0]["end"]["dateTime"].endswith("T11:00:00+09:00")
    info = rows[0]["repeatInfo"]
    assert info["type"] == rest_type
    for key, value in extra.items():
        assert info[key] == value
    assert info["time"] == {"start": "10:00:00", "end": "11:00:00"}
    assert info["timeZone"] == "Asia/Tokyo"
    _, got = await garoon.call("GET", f"/schedule/events/{series['id']}")
    assert got["repeatInfo"]["period"]["start"] == cond.get("start_date", Q1["start_date"])


async def test_repeat_times_are_local_and_dst_correct(garoon: Garoon) -> None:
    cond = {
        "type": "week",
        "week": "1",
        "start_date": "2024-03-04",
        "end_date": "2024-03-18",
        "start_time": "10:00:00",
        "end_time": "11:00:00",
    }
    await add_series(garoon, cond, tz="America/New_York")
    rows = await occurrences(garoon, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")
    assert [r["start"]["dateTime"] for r in rows] == [
        "2024-03-04T10:00:00-05:00",
        "2024-03-11T10:00:00-04:00",
        "2024-03-18T10:00:00-04:00",
    ]


async def test_rest_cannot_create_repeating_but_patch_hits_series_and_delete_removes_all(
    garoon: Garoon,
) -> None:
    series = await add_series(garoon, {**Q1, "type": "week", "week": "1", "end_date": "2024-01-22"})
    patch = {
        "subject": "全体変更",
        "start": {"dateTime": "2024-01-01T13:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2024-01-01T14:00:00+09:00", "timeZone": "Asia/Tokyo"},
    }
    status, body = await garoon.call("PATCH", f"/schedule/events/{series['id']}", json=patch)
    assert status == 200, body
    rows = await occurrences(garoon)
    assert len(rows) == 4
    assert {r["subject"] for r in rows} == {"全体変更"}
    assert rows[2]["start"]["dateTime"] == "2024-01-15T13:00:00+09:00"
    status, _ = await garoon.call("DELETE", f"/schedule/events/{series['id']}")
    assert status == 204
    assert await occurrences(garoon) == []


async def test_modify_this_detaches_occurrence(garoon: Garoon) -> None:
    series = await add_series(garoon, {**Q1, "type": "week", "week": "1", "end_date": "2024-01-29"})
    new = normal_event(
        "2024-01-15T05:00:00Z",
        "2024-01-15T06:00:00Z",
        subject="この回だけ",
        event_id=series["id"],
        version=series["version"],
    )
    status, text = await garoon.soap(
        "ScheduleModifyRepeatEvents", f'<operation type="this" date="2024-01-15">{new}</operation>'
    )
    assert status == 200, text
    original, modified = events_of(text)
    assert original["id"] == series["id"]
    assert original["version"] != series["version"]
    assert modified["id"] != series["id"]
    assert modified["event_type"] == "normal"
    assert modified["datetime"] == [
        {"start": "2024-01-15T05:00:00Z", "end": "2024-01-15T06:00:00Z"}
    ]
    assert original["exclusive"] == [
        {"start": "2024-01-15T00:00:00+09:00", "end": "2024-01-16T00:00:00+09:00"}
    ]
    rows = await occurrences(garoon)
    assert [(r["id"], r["start"]["dateTime"][5:16]) for r in rows] == [
        (series["id"], "01-01T10:00"),
        (series["id"], "01-08T10:00"),
        (modified["id"], "01-15T14:00"),
        (series["id"], "01-22T10:00"),
        (series["id"], "01-29T10:00"),
    ]
    assert rows[2]["eventType"] == "REGULAR"
    assert "repeatInfo" not in rows[2]
    assert rows[0]["repeatInfo"]["exclusiveDateTimes"] == [
        {"start": "2024-01-15T00:00:00+09:00", "end": "2024-01-16T00:00:00+09:00"}
    ]


async def test_modify_after_splits_series(garoon: Garoon) -> None:
    cond = {**Q1, "type": "week", "week": "1", "end_date": "2024-01-29"}
    series = await add_series(garoon, cond)
    later = repeat_event(
        {**cond, "start_time": "15:00:00", "end_time": "16:00:00"},
        subject="以降",
        event_id=series["id"],
    )
    status, text = await garoon.soap(
        "ScheduleModifyRepeatEvents",
        f'<operation type="after" date="2024-01-15">{later}</operation>',
    )
    assert status == 200, text
    original, modified = events_of(text)
    assert original["condition"]["end_date"] == "2024-01-14"
    assert modified["condition"]["start_date"] == "2024-01-15"
    assert modified["id"] != original["id"]
    rows = await occurrences(garoon)
    assert [(r["id"], r["subject"], r["start"]["dateTime"][5:16]) for r in rows] == [
        (series["id"], "週次", "01-01T10:00"),
        (series["id"], "週次", "01-08T10:00"),
        (modified["id"], "以降", "01-15T15:00"),
        (modified["id"], "以降", "01-22T15:00"),
        (modified["id"], "以降", "01-29T15:00"),
    ]
    assert all(r["eventType"] == "REPEATING" for r in rows)


async def test_modify_all_overwrites_series(garoon: Garoon) -> None:
    cond = {**Q1, "type": "day", "end_date": "2024-01-03"}
    series = await add_series(garoon, cond)
    whole = repeat_event({**cond, "end_date": "2024-01-02"}, subject="全部", event_id=series["id"])
    status, text = await garoon.soap(
        "ScheduleModifyRepeatEvents", f'<operation type="all">{whole}</operation>'
    )
    assert status == 200, text
    (modified,) = events_of(text)
    assert modified["id"] == series["id"]
    rows = await occurrences(garoon)
    assert [(r["id"], r["subject"]) for r in rows] == [(series["id"], "全部")] * 2


@pytest.mark.parametrize(
    ("kind", "left"),
    [("this", ["01-01", "01-08", "01-22", "01-29"]), ("after", ["01-01", "01-08"]), ("all", [])],
)
async def test_remove_from_repeat(garoon: Garoon, kind: str, left: list[str]) -> None:
    series = await add_series(garoon, {**Q1, "type": "week", "week": "1", "end_date": "2024-01-29"})
    date = ' date="2024-01-15"' if kind != "all" else ""
    status, text = await garoon.soap(
        "ScheduleRemoveEventsFromRepeatEvent",
        f'<operation event_id="{series["id"]}" type="{kind}"{date}/>',
    )
    assert status == 200, text
    rows = await occurrences(garoon)
    assert [r["start"]["dateTime"][5:10] for r in rows] == left
    if kind == "this":
        assert (
            rows[0]["repeatInfo"]["exclusiveDateTimes"][0]["start"] == "2024-01-15T00:00:00+09:00"
        )


async def test_get_by_id_versions_and_change_feed(garoon: Garoon) -> None:
    series = await add_series(garoon, {**Q1, "type": "day", "end_date": "2024-01-05"})
    status, text = await garoon.soap(
        "ScheduleAddEvents", normal_event("2024-01-02T01:00:00Z", "2024-01-02T02:00:00Z")
    )
    single = events_of(text)[0]
    status, text = await garoon.soap(
        "ScheduleGetEventsById", f"<event_id>{series['id']}</event_id>"
    )
    assert events_of(text)[0]["condition"]["type"] == "day"
    assert events_of(text)[0]["version"] == series["version"]

    window = 'start="2024-01-01T00:00:00Z" end="2024-02-01T00:00:00Z"'
    known = (
        f'<event_item id="{series["id"]}" version="{series["version"]}"/>'
        f'<event_item id="{single["id"]}" version="{single["version"]}"/>'
    )

    async def changes() -> dict[str, str]:
        status, text = await garoon.soap("ScheduleGetEventVersions", known, attrs=window)
        assert status == 200, text
        return {el.get("id", ""): el.get("operation", "") for el in find_all(text, "event_item")}

    assert await changes() == {}
    # every write changes the version; a new event is "add"; a deleted one is "remove"
    status, text = await garoon.soap(
        "ScheduleRemoveEventsFromRepeatEvent",
        f'<operation event_id="{series["id"]}" type="this" date="2024-01-03"/>',
    )
    status, text = await garoon.soap(
        "ScheduleAddEvents", normal_event("2024-01-09T01:00:00Z", "2024-01-09T02:00:00Z")
    )
    added = events_of(text)[0]["id"]
    status, text = await garoon.soap("ScheduleRemoveEvents", f"<event_id>{single['id']}</event_id>")
    assert status == 200, text
    assert await changes() == {series["id"]: "modify", added: "add", single["id"]: "remove"}

    status, text = await garoon.soap("ScheduleGetEventVersions", known)
    assert fault_code(text) is not None  # the window is required


async def test_modify_events_overwrites_whole_event(garoon: Garoon) -> None:
    _status, text = await garoon.soap(
        "ScheduleAddEvents",
        normal_event("2024-01-02T01:00:00Z", "2024-01-02T02:00:00Z", description="メモ"),
    )
    ev = events_of(text)[0]
    assert ev["description"] == "メモ"
    again = normal_event(
        "2024-01-02T03:00:00Z", "2024-01-02T04:00:00Z", event_id=ev["id"], version=ev["version"]
    )
    _, text = await garoon.soap("ScheduleModifyEvents", again)
    new = events_of(text)[0]
    assert new["description"] == ""  # items left out become empty
    assert new["version"] != ev["version"]
    _, got = await garoon.call("GET", f"/schedule/events/{ev['id']}")
    assert got["start"]["dateTime"] == "2024-01-02T12:00:00+09:00"
    assert got["notes"] == ""


async def test_soap_faults(garoon: Garoon) -> None:
    status, text = await garoon.soap(
        "ScheduleGetEventsById", "<event_id>1</event_id>", password="x"
    )
    assert status == 500
    assert fault_code(text) == "FW00007"
    assert find_all(text, "counter_measure")
    status, text = await garoon.soap("ScheduleGetEventsById", "<event_id>999</event_id>")
    assert fault_code(text) == "GRN_SCHD_13001"
    bad = repeat_event({**Q1, "type": "yearly"})
    status, text = await garoon.soap("ScheduleAddEvents", bad)
    assert status == 500
    assert fault_code(text) is not None


async def test_get_events_returns_series_once(garoon: Garoon) -> None:
    await add_series(garoon, {**Q1, "type": "day", "end_date": "2024-01-10"})
    status, text = await garoon.soap(
        "ScheduleGetEvents", "", attrs='start="2024-01-01T00:00:00Z" end="2024-02-01T00:00:00Z"'
    )
    assert status == 200, text
    assert len(events_of(text)) == 1


async def test_eom_switch(garoon: Garoon) -> None:
    garoon.sim.settings.soap_eom_day = 32
    series = await add_series(garoon, {**Q1, "type": "month", "day": "32"})
    assert series["condition"]["day"] == "32"
    rows = await occurrences(garoon)
    assert [r["start"]["dateTime"][5:10] for r in rows] == ["01-31", "02-29", "03-31"]
