"""The Garoon client against the bundled Garoon simulator (REST + SOAP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from kakehashi.garoon_client import GaroonClient, LoginFailed, NotFound, PermissionDenied
from kakehashi.garoon_sim import FaultRule, GaroonSimServer
from tests.garoon_client.conftest import FakeSleep

NAME = "jp.example.schedule.kakehashi"
JST = "Asia/Tokyo"


@pytest.fixture
async def server() -> AsyncIterator[GaroonSimServer]:
    async with GaroonSimServer(port=0) as srv:
        srv.sim.add_user("sato", "Sato", password="sato-pw")
        srv.sim.add_user("suzuki", "Suzuki", password="suzuki-pw")
        srv.sim.add_facility("room-a", "Room A")
        yield srv


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def client_for(
    server: GaroonSimServer, session: aiohttp.ClientSession, login: str, **kw: Any
) -> GaroonClient:
    kw.setdefault("password", f"{login}-pw")
    kw.setdefault("sleep", FakeSleep())
    return GaroonClient(session, server.base_url, login=login, **kw)


def regular(subject: str, start: datetime, *, hours: int = 1) -> dict[str, Any]:
    return {
        "eventType": "REGULAR",
        "subject": subject,
        "start": {"dateTime": start.isoformat(), "timeZone": JST},
        "end": {"dateTime": (start + timedelta(hours=hours)).isoformat(), "timeZone": JST},
        "attendees": [{"type": "USER", "code": "sato"}],
    }


START = datetime(2026, 5, 12, 1, 0, tzinfo=UTC)


async def test_rest_crud_and_datastore(server: GaroonSimServer, session: Any) -> None:
    client = client_for(server, session, "sato")
    created = await client.create_event(regular("Review", START))
    event_id = created["id"]
    assert (await client.get_event(event_id))["subject"] == "Review"
    patched = await client.update_event(
        event_id,
        {
            "subject": "Review v2",
            "start": created["start"],
            "end": created["end"],
            "attendees": [{"type": "USER", "code": "sato"}],
        },
    )
    assert patched["subject"] == "Review v2"

    assert await client.datastore_get(event_id, NAME) is None
    await client.datastore_put(event_id, NAME, {"graphId": "AAMk1"})
    await client.datastore_put(event_id, NAME, {"graphId": "AAMk2"})
    assert await client.datastore_get(event_id, NAME) == {"graphId": "AAMk2"}
    assert await client.datastore_delete(event_id, NAME) is True
    assert await client.datastore_delete(event_id, NAME) is False

    await client.delete_event(event_id)
    with pytest.raises(NotFound) as info:
        await client.get_event(event_id)
    assert info.value.code == "GRN_SCHD_13001"
    with pytest.raises(NotFound):
        await client.datastore_get(event_id, NAME)


async def test_list_events_pages_by_has_next(server: GaroonSimServer, session: Any) -> None:
    client = client_for(server, session, "sato")
    for i in range(5):
        await client.create_event(regular(f"E{i}", START + timedelta(days=i)))
    events = await client.list_events(
        target="sato",
        target_type="user",
        range_start=START - timedelta(days=1),
        range_end=START + timedelta(days=10),
        order_by="start asc",
        limit=2,
    )
    assert [e["subject"] for e in events] == [f"E{i}" for i in range(5)]


async def test_directory_lookups(server: GaroonSimServer, session: Any) -> None:
    client = client_for(server, session, "sato")
    assert (await client.get_user_by_login("suzuki") or {}).get("name") == "Suzuki"
    assert await client.get_user_by_login("suz") is None
    assert [f["code"] for f in await client.list_facilities()] == ["room-a"]
    assert {u["code"] for u in await client.list_users()} == {"sato", "suzuki"}


async def test_wrong_password_and_permissions(server: GaroonSimServer, session: Any) -> None:
    with pytest.raises(LoginFailed):
        await client_for(server, session, "sato", password="nope").list_users()
    with pytest.raises(LoginFailed):
        await client_for(server, session, "sato", password="nope").soap_get_events_by_id([1])
    owner = client_for(server, session, "sato")
    created = await owner.create_event(regular("Mine", START))
    other = client_for(server, session, "suzuki")
    with pytest.raises((NotFound, PermissionDenied)):
        await other.delete_event(created["id"])


async def test_front_basic_auth(session: Any) -> None:
    async with GaroonSimServer(port=0, basic_auth=("web", "door")) as srv:
        srv.sim.add_user("sato", password="sato-pw")
        with pytest.raises(LoginFailed):
            await client_for(srv, session, "sato").list_users()
        ok = client_for(srv, session, "sato", basic_auth=("web", "door"))
        assert [u["code"] for u in await ok.list_users()] == ["sato"]


async def test_injected_429_is_retried(server: GaroonSimServer, session: Any) -> None:
    sleep = FakeSleep()
    client = client_for(server, session, "sato", sleep=sleep)
    server.sim.add_fault(FaultRule(path="/api/v1/base/users", status=429, count=2, retry_after=3))
    assert await client.list_users()
    assert sleep.sleeps == [3.0, 3.0]


def weekly_series(start_day: date, weeks: int) -> dict[str, Any]:
    return {
        "event_type": "repeat",
        "public_type": "public",
        "plan": "",
        "detail": "Weekly sync",
        "description": "series notes",
        "timezone": JST,
        "end_timezone": JST,
        "allday": False,
        "start_only": False,
        "members": [{"type": "user", "id": "1"}],
        "repeat_info": {
            "condition": {
                "type": "week",
                "week": (start_day.isoweekday() % 7),  # 0 = Sunday
                "start_date": start_day,
                "end_date": start_day + timedelta(weeks=weeks - 1),
                "start_time": "10:00:00",
                "end_time": "11:00:00",
            }
        },
    }


async def test_soap_repeat_create_modify_this_and_remove_this(
    server: GaroonSimServer, session: Any
) -> None:
    client = client_for(server, session, "sato")
    monday = date(2026, 5, 4)
    [series] = await client.soap_add_events([weekly_series(monday, 4)])
    assert series["event_type"] == "repeat"
    assert series["repeat_info"]["condition"]["type"] == "week"
    assert series["repeat_info"]["condition"]["start_time"].startswith("10:00")
    series_id = series["id"]

    # Edit only the second occurrence: it splits off as a normal event with a new id.
    second = monday + timedelta(weeks=1)
    edit = dict(series)
    edit.update(
        event_type="normal",
        detail="Moved sync",
        when={"datetime": [{"start": "2026-05-11T03:00:00Z", "end": "2026-05-11T04:00:00Z"}]},
    )
    del edit["repeat_info"]
    result = await client.soap_modify_repeat_event(edit, "this", second)
    original, modified = result["original"], result["modified"]
    assert original is not None
    assert modified is not None
    assert modified["id"] != series_id
    assert modified["event_type"] == "normal"
    assert modified["detail"] == "Moved sync"
    assert modified["when"]["datetime"][0]["start"] == "2026-05-11T03:00:00Z"
    assert len(original["repeat_info"]["exclusive_datetimes"]) == 1

    # Remove the third occurrence.
    third = monday + timedelta(weeks=2)
    [remaining] = await client.soap_remove_from_repeat_event(series_id, "this", third)
    assert remaining["id"] == series_id
    assert len(remaining["repeat_info"]["exclusive_datetimes"]) == 2

    # REST sees the two surviving occurrences of the series plus the split-off event.
    rows = await client.list_events(
        target="sato",
        target_type="user",
        range_start=datetime(2026, 5, 1, tzinfo=UTC),
        range_end=datetime(2026, 6, 30, tzinfo=UTC),
        order_by="start asc",
    )
    assert [(r["id"], r["subject"]) for r in rows] == [
        (series_id, "Weekly sync"),
        (modified["id"], "Moved sync"),
        (series_id, "Weekly sync"),
    ]

    [again] = await client.soap_get_events_by_id([series_id])
    assert again["version"] == remaining["version"]


async def test_soap_event_versions_report_changes(server: GaroonSimServer, session: Any) -> None:
    client = client_for(server, session, "sato")
    monday = date(2026, 5, 4)
    [series] = await client.soap_add_events([weekly_series(monday, 3)])
    window = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    known = {series["id"]: series["version"], "999": "1"}
    changes = await client.soap_get_event_versions(known, *window)
    assert changes == [{"id": "999", "version": "1", "operation": "remove"}]
    await client.soap_remove_from_repeat_event(series["id"], "this", monday)
    changes = await client.soap_get_event_versions({series["id"]: series["version"]}, *window)
    assert [(c["id"], c["operation"]) for c in changes] == [(series["id"], "modify")]
    await client.soap_remove_events([series["id"]])
    with pytest.raises(NotFound):
        await client.soap_get_events_by_id([series["id"]])
