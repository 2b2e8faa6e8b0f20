"""Browser hints: person actions fire the JS events our customization forwards; REST/SOAP don't."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.support.waiting import wait_until

from .conftest import Garoon, regular
from .soap_helpers import events_of, repeat_event

PROXY_HEADERS = {"X-Kakehashi-Tenant": "t1", "X-Kakehashi-Secret": "s3cret"}


class Receiver:
    def __init__(self) -> None:
        self.hints: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.hints.append((dict(request.headers), await request.json()))
        return web.Response(status=202)


@pytest.fixture
async def receiver(garoon: Garoon) -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/garoon", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    rec.url = f"http://127.0.0.1:{port}/hooks/garoon"
    status, _ = await garoon.ctl("PUT", "/hint-proxy", {"url": rec.url, "headers": PROXY_HEADERS})
    assert status == 200
    yield rec
    await runner.cleanup()


async def person(garoon: Garoon, who: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    status, out = await garoon.ctl("POST", f"/person/{who}/{action}", body)
    assert status in (200, 201), out
    return dict(out)


async def test_edit_as_person_delivers_hint_with_proxy_headers(
    garoon: Garoon, receiver: Receiver
) -> None:
    ev = await person(garoon, "sato", "create", regular())
    await wait_until(lambda: len(receiver.hints) == 1, message="create hint")
    headers, body = receiver.hints[0]
    assert body == {
        "source": "garoon-js",
        "eventType": "schedule.event.create.submit.success",
        "eventId": ev["id"],
        "actor": {"id": "1", "code": "sato"},
        "invitees": [],
    }
    assert headers["X-Kakehashi-Tenant"] == "t1"
    assert headers["X-Kakehashi-Secret"] == "s3cret"

    await person(garoon, "sato", "edit", {"eventId": ev["id"], "changes": {"subject": "変更"}})
    await wait_until(lambda: len(receiver.hints) == 2, message="edit hint")
    assert receiver.hints[1][1] == {
        "source": "garoon-js",
        "eventType": "schedule.event.edit.submit.success",
        "eventId": ev["id"],
        "actor": {"id": "1", "code": "sato"},
        "range": "ALL",
        "invitees": [],
    }
    _, got = await garoon.call("GET", f"/schedule/events/{ev['id']}")
    assert got["subject"] == "変更"


async def test_rest_and_soap_writes_deliver_no_hint(garoon: Garoon, receiver: Receiver) -> None:
    status, ev = await garoon.call("POST", "/schedule/events", json=regular())
    patch = {"subject": "x", "start": ev["start"], "end": ev["end"]}
    status, _ = await garoon.call("PATCH", f"/schedule/events/{ev['id']}", json=patch)
    assert status == 200
    await garoon.call("DELETE", f"/schedule/events/{ev['id']}")
    await garoon.soap(
        "ScheduleAddEvents",
        repeat_event({"type": "day", "start_date": "2024-01-01", "end_date": "2024-01-02"}),
    )
    # A person action afterwards is delivered; since delivery is in order per action, the
    # REST/SOAP writes above would have arrived first had they produced a hint.
    ev2 = await person(garoon, "sato", "create", regular("marker"))
    await wait_until(lambda: receiver.hints, message="marker hint")
    assert [h[1]["eventId"] for h in receiver.hints] == [ev2["id"]]
    assert garoon.sim.hints.emitted == [receiver.hints[0][1]]


async def test_repeat_actions_as_person(garoon: Garoon, receiver: Receiver) -> None:
    _, text = await garoon.soap(
        "ScheduleAddEvents",
        repeat_event(
            {
                "type": "week",
                "week": "1",
                "start_date": "2024-01-01",
                "end_date": "2024-01-29",
                "start_time": "10:00:00",
                "end_time": "11:00:00",
            },
            users=(1, 2),
        ),
    )
    sid = events_of(text)[0]["id"]
    moved = await person(
        garoon,
        "sato",
        "edit",
        {
            "eventId": sid,
            "range": "THIS_ONLY",
            "date": "2024-01-08",
            "changes": {
                "start": {"dateTime": "2024-01-08T16:00:00+09:00", "timeZone": "Asia/Tokyo"},
                "end": {"dateTime": "2024-01-08T17:00:00+09:00", "timeZone": "Asia/Tokyo"},
            },
            "quick": True,
        },
    )
    assert moved["id"] != sid
    assert moved["eventType"] == "REGULAR"
    await person(
        garoon, "suzuki", "delete", {"eventId": sid, "range": "ON_AND_AFTER", "date": "2024-01-22"}
    )
    await person(garoon, "tanaka", "attend", {"eventId": sid, "range": "ALL"})
    await person(garoon, "sato", "teams", {"eventId": sid, "invitees": ["guest@example.org"]})
    await wait_until(lambda: len(receiver.hints) == 4, message="four hints")
    got = sorted(
        (h[1]["eventType"], h[1]["eventId"], h[1].get("range"), h[1]["actor"]["code"])
        for h in receiver.hints
    )
    assert got == sorted(
        [
            ("schedule.event.quick.edit.submit.success", moved["id"], "THIS_ONLY", "sato"),
            ("schedule.event.delete.submit.success", sid, "ON_AND_AFTER", "suzuki"),
            ("schedule.event.attend.submit.success", sid, "ALL", "tanaka"),
            ("kakehashi.teams.create", sid, None, "sato"),
        ]
    )
    teams = next(h[1] for h in receiver.hints if h[1]["eventType"] == "kakehashi.teams.create")
    assert teams["invitees"] == ["guest@example.org"]
    rows = await garoon.list_events(
        "sato",
        rangeStart="2024-01-01T00:00:00Z",
        rangeEnd="2024-02-01T00:00:00Z",
        orderBy="start asc",
    )
    assert [(r["id"] == sid, r["start"]["dateTime"][5:16]) for r in rows] == [
        (True, "01-01T10:00"),
        (False, "01-08T16:00"),
        (True, "01-15T10:00"),
    ]
    assert "tanaka" in [a["code"] for a in rows[0]["attendees"]]


async def test_leave_non_repeating_reports_this_only(garoon: Garoon, receiver: Receiver) -> None:
    ev = await person(garoon, "sato", "create", regular(attendees=(1, 2)))
    await person(garoon, "suzuki", "leave", {"eventId": ev["id"]})
    await wait_until(lambda: len(receiver.hints) == 2, message="leave hint")
    assert receiver.hints[1][1]["eventType"] == "schedule.event.leave.submit.success"
    assert receiver.hints[1][1]["range"] == "THIS_ONLY"


async def test_person_permission_error_fires_nothing(garoon: Garoon, receiver: Receiver) -> None:
    ev = await person(garoon, "sato", "create", regular())
    status, err = await garoon.ctl(
        "POST", "/person/suzuki/edit", {"eventId": ev["id"], "changes": {"subject": "x"}}
    )
    assert (status, err["error"]["errorCode"]) == (403, "GRN_CMMN_00022")
    await wait_until(lambda: receiver.hints, message="create hint")
    assert len(garoon.sim.hints.emitted) == 1


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"package_version": "5.5"}, ["kakehashi.teams.create"]),  # 5.5: no JS events at all
        (
            {"package_version": "5.9"},
            ["schedule.event.create.submit.success", "kakehashi.teams.create"],
        ),
        (
            {},
            [
                "schedule.event.create.submit.success",
                "schedule.event.leave.submit.success",
                "kakehashi.teams.create",
            ],
        ),
        ({"drop_hints": True}, []),
    ],
)
async def test_version_and_drop_switches(
    garoon: Garoon, receiver: Receiver, settings: dict[str, Any], expected: list[str]
) -> None:
    status, _ = await garoon.ctl("PATCH", "/settings", settings)
    assert status == 200
    ev = await person(garoon, "sato", "create", regular(attendees=(1, 2)))
    await person(garoon, "suzuki", "leave", {"eventId": ev["id"]})  # 5.15+ only
    await person(garoon, "sato", "teams", {"eventId": ev["id"], "invitees": []})
    await wait_until(lambda: garoon.sim.hints.in_flight == 0, message="hints settled")
    assert sorted(h[1]["eventType"] for h in receiver.hints) == sorted(expected)


async def test_delay_switch_delays_delivery(garoon: Garoon, receiver: Receiver) -> None:
    await garoon.ctl("PATCH", "/settings", {"hint_delay_seconds": 0.3})
    await person(garoon, "sato", "create", regular())
    assert receiver.hints == []  # not yet: delivery waits for the configured delay
    await wait_until(lambda: receiver.hints, message="delayed hint")
    _, body = await garoon.ctl("GET", "/hints")
    assert body["deliveries"][0]["status"] == 202


async def test_person_creates_series_and_deletes_one_occurrence(
    garoon: Garoon, receiver: Receiver
) -> None:
    body = regular("朝会", repeat={"type": "weekday", "end_date": "2024-03-08"})
    series = await person(garoon, "sato", "create", body)
    assert series["eventType"] == "REPEATING"
    assert series["repeatInfo"]["time"] == {"start": "10:00:00", "end": "11:00:00"}
    await person(
        garoon,
        "sato",
        "delete",
        {"eventId": series["id"], "range": "THIS_ONLY", "date": "2024-03-06"},
    )
    rows = await garoon.list_events(
        rangeStart="2024-03-04T00:00:00+09:00",
        rangeEnd="2024-03-09T00:00:00+09:00",
        orderBy="start asc",
    )
    assert [r["start"]["dateTime"][5:10] for r in rows] == ["03-04", "03-05", "03-07", "03-08"]
    await wait_until(lambda: len(receiver.hints) == 2, message="two hints")
    assert sorted(h[1].get("range", "-") for h in receiver.hints) == ["-", "THIS_ONLY"]
