"""REST contract: authentication, errors, events CRUD, listing, visibility, permissions."""

from __future__ import annotations

import base64

import aiohttp

from kakehashi.garoon_sim import GaroonSimServer

from .conftest import Garoon, cybozu_auth, regular


async def test_missing_and_wrong_credentials(garoon: Garoon) -> None:
    async with garoon.session.get(f"{garoon.rest}/schedule/events") as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["errorCode"] == "GRN_REST_API_00003"
    async with garoon.session.get(
        f"{garoon.rest}/schedule/events", headers=cybozu_auth("sato", "wrong")
    ) as resp:
        assert resp.status == 401
        err = (await resp.json())["error"]
        assert err["errorCode"] == "FW00007"
        assert set(err) >= {"errorCode", "message", "cause", "counterMeasure"}


async def test_front_basic_auth_challenges_like_a_web_server() -> None:
    async with (
        GaroonSimServer(basic_auth=("web", "secret")) as server,
        aiohttp.ClientSession() as s,
    ):
        server.sim.add_user("sato", password="pw")
        url = f"{server.base_url}/api/v1/base/users"
        async with s.get(url, headers=cybozu_auth("sato")) as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Basic")
        basic = "Basic " + base64.b64encode(b"web:secret").decode()
        async with s.get(url, headers={**cybozu_auth("sato"), "Authorization": basic}) as resp:
            assert resp.status == 200


async def test_create_get_update_delete(garoon: Garoon) -> None:
    status, ev = await garoon.call(
        "POST", "/schedule/events", json=regular(eventMenu="会議", notes="a\nb")
    )
    assert status == 200, ev
    assert ev["eventType"] == "REGULAR"
    assert ev["eventMenu"] == "会議"
    assert ev["start"] == {"dateTime": "2024-03-04T10:00:00+09:00", "timeZone": "Asia/Tokyo"}
    assert ev["createdAt"].endswith("Z")
    assert ev["creator"] == {"id": "1", "code": "sato", "name": "佐藤 昇"}
    assert ev["attendees"][0]["attendanceResponse"]["status"] == "PENDING"
    eid = ev["id"]
    status, got = await garoon.call("GET", f"/schedule/events/{eid}")
    assert status == 200
    assert got["subject"] == "定例"

    patch = {
        "subject": "変更後",
        "start": {"dateTime": "2024-03-04T13:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2024-03-04T14:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "attendees": [{"type": "USER", "code": "suzuki"}, {"type": "USER", "id": "1"}],
    }
    status, upd = await garoon.call("PATCH", f"/schedule/events/{eid}", json=patch)
    assert status == 200, upd
    assert upd["subject"] == "変更後"
    assert upd["notes"] == "a\nb"  # omitted fields are kept
    assert [a["code"] for a in upd["attendees"]] == ["suzuki", "sato"]  # arrays replace
    assert upd["updatedAt"] > ev["updatedAt"]
    assert upd["createdAt"] == ev["createdAt"]

    status, _ = await garoon.call("DELETE", f"/schedule/events/{eid}")
    assert status == 204
    status, err = await garoon.call("GET", f"/schedule/events/{eid}")
    assert status == 404
    assert err["error"]["errorCode"] == "GRN_SCHD_13001"


async def test_create_validation(garoon: Garoon) -> None:
    status, err = await garoon.call("POST", "/schedule/events", json=regular(eventType="REPEATING"))
    assert status == 400
    assert err["error"]["errorCode"] == "GRN_REST_API_00212"
    bad_end = regular(end={"dateTime": "2024-03-04T09:00:00+09:00", "timeZone": "Asia/Tokyo"})
    status, err = await garoon.call("POST", "/schedule/events", json=bad_end)
    assert (status, err["error"]["errorCode"]) == (400, "GRN_SCHD_13011")
    no_end = regular()
    del no_end["end"]
    status, err = await garoon.call("POST", "/schedule/events", json=no_end)
    assert (status, err["error"]["errorCode"]) == (400, "GRN_REST_API_00224")
    no_end["isStartOnly"] = True
    status, ev = await garoon.call("POST", "/schedule/events", json=no_end)
    assert status == 200
    assert ev["isStartOnly"] is True
    assert "end" not in ev
    status, err = await garoon.call("POST", "/schedule/events", json=regular(attendees=()))
    assert status == 400
    status, err = await garoon.call("PATCH", f"/schedule/events/{ev['id']}", json={"subject": "x"})
    assert (status, err["error"]["errorCode"]) == (400, "GRN_REST_API_00201")  # start required


async def test_all_day_and_facilities(garoon: Garoon) -> None:
    body = regular(
        eventType="ALL_DAY",
        start={"dateTime": "2024-03-04T00:00:00+09:00", "timeZone": "Asia/Tokyo"},
        end={"dateTime": "2024-03-06T00:00:00+09:00", "timeZone": "Asia/Tokyo"},
        facilities=[{"code": "room1"}],
    )
    status, ev = await garoon.call("POST", "/schedule/events", json=body)
    assert status == 200, ev
    assert ev["eventType"] == "ALL_DAY"
    assert ev["end"]["dateTime"] == "2024-03-06T23:59:59+09:00"
    assert ev["facilities"] == [{"id": "1", "code": "room1", "name": "会議室1"}]
    events = await garoon.list_events(target="1", targetType="facility")
    assert [e["id"] for e in events] == [ev["id"]]
    status, body = await garoon.call("GET", "/schedule/facilities", params={"name": "2"})
    assert body == {
        "facilities": [{"id": "2", "code": "room2", "name": "会議室2", "notes": ""}],
        "hasNext": False,
    }


async def test_list_overlap_order_and_paging(garoon: Garoon) -> None:
    ids = []
    for hour in (9, 11, 13):
        body = regular(
            f"e{hour}",
            start={"dateTime": f"2024-03-04T{hour:02}:00:00+09:00", "timeZone": "Asia/Tokyo"},
            end={"dateTime": f"2024-03-04T{hour + 1:02}:00:00+09:00", "timeZone": "Asia/Tokyo"},
        )
        status, ev = await garoon.call("POST", "/schedule/events", json=body)
        ids.append(ev["id"])
    # 10:30-12:00 overlaps only the 11:00 event; an event ending exactly at rangeStart is out.
    got = await garoon.list_events(
        rangeStart="2024-03-04T10:00:00+09:00", rangeEnd="2024-03-04T12:00:00+09:00"
    )
    assert [e["subject"] for e in got] == ["e11"]
    got = await garoon.list_events(
        rangeStart="2024-03-04T09:30:00+09:00", rangeEnd="2024-03-04T11:30:00+09:00"
    )
    assert [e["subject"] for e in got] == ["e9", "e11"]
    got = await garoon.list_events(orderBy="start desc")
    assert [e["subject"] for e in got] == ["e13", "e11", "e9"]
    got = await garoon.list_events(orderBy="createdAt asc")
    assert [e["id"] for e in got] == ids
    status, page = await garoon.call(
        "GET", "/schedule/events", params={"limit": "2", "orderBy": "start asc"}
    )
    assert (len(page["events"]), page["hasNext"]) == (2, True)
    status, page = await garoon.call(
        "GET", "/schedule/events", params={"limit": "2", "offset": "2", "orderBy": "start asc"}
    )
    assert ([e["subject"] for e in page["events"]], page["hasNext"]) == (["e13"], False)
    for bad in ({"limit": "0"}, {"limit": "1001"}, {"orderBy": "subject asc"}, {"target": "1"}):
        status, _ = await garoon.call("GET", "/schedule/events", params=bad)
        assert status == 400, bad
    status, _ = await garoon.call(
        "GET",
        "/schedule/events",
        params={"rangeStart": "2024-03-05T00:00:00Z", "rangeEnd": "2024-03-04T00:00:00Z"},
    )
    assert status == 400


async def test_without_target_only_own_events_and_targets(garoon: Garoon) -> None:
    await garoon.call("POST", "/schedule/events", json=regular("mine", (1,)))
    await garoon.call("POST", "/schedule/events", "suzuki", json=regular("theirs", (2,)))
    org = regular("org", ())
    org["attendees"] = [{"type": "ORGANIZATION", "code": "sales"}]
    await garoon.call("POST", "/schedule/events", json=org)
    assert [e["subject"] for e in await garoon.list_events()] == ["mine"]
    assert [e["subject"] for e in await garoon.list_events(target="2", targetType="user")] == [
        "theirs"
    ]
    assert [
        e["subject"] for e in await garoon.list_events(target="1", targetType="organization")
    ] == ["org"]


async def test_private_events_and_show_private(garoon: Garoon) -> None:
    status, ev = await garoon.call(
        "POST", "/schedule/events", "suzuki", json=regular("secret", (2,), visibilityType="PRIVATE")
    )
    assert status == 200
    status, err = await garoon.call("GET", f"/schedule/events/{ev['id']}", "sato")
    assert (status, err["error"]["errorCode"]) == (404, "GRN_SCHD_13001")
    assert await garoon.list_events("sato", target="2", targetType="user") == []
    stubs = await garoon.list_events("sato", target="2", targetType="user", showPrivate="true")
    assert len(stubs) == 1
    assert stubs[0]["id"] == ev["id"]
    assert stubs[0]["subject"] == "予定あり"
    assert "notes" not in stubs[0]
    assert "attendees" not in stubs[0]
    garoon.sim.settings.hide_private_completely = True
    assert await garoon.list_events("sato", target="2", targetType="user", showPrivate="true") == []
    full = await garoon.list_events("suzuki")
    assert full[0]["subject"] == "secret"


async def test_only_attendees_may_edit_or_delete(garoon: Garoon) -> None:
    status, ev = await garoon.call(
        "POST", "/schedule/events", "suzuki", json=regular("theirs", (2,))
    )
    patch = {"subject": "x", "start": ev["start"], "end": ev["end"]}
    status, err = await garoon.call("PATCH", f"/schedule/events/{ev['id']}", "sato", json=patch)
    assert (status, err["error"]["errorCode"]) == (403, "GRN_CMMN_00022")
    status, err = await garoon.call("DELETE", f"/schedule/events/{ev['id']}", "sato")
    assert status == 403
    garoon.sim.settings.edit_requires_attendance = False
    status, _ = await garoon.call("PATCH", f"/schedule/events/{ev['id']}", "sato", json=patch)
    assert status == 200


async def test_users_search_and_organizations(garoon: Garoon) -> None:
    _status, body = await garoon.call("GET", "/base/users", params={"name": "suz"})
    assert body == {"users": [{"id": "2", "name": "鈴木 卓也", "code": "suzuki"}], "hasNext": False}
    _, body = await garoon.call("GET", "/base/users", params={"limit": "2"})
    assert ([u["id"] for u in body["users"]], body["hasNext"]) == (["1", "2"], True)
    _, body = await garoon.call("GET", "/base/organizations/1/users")
    assert [u["code"] for u in body["users"]] == ["sato", "suzuki"]


async def test_datastore(garoon: Garoon) -> None:
    status, ev = await garoon.call("POST", "/schedule/events", json=regular())
    base = f"/schedule/events/{ev['id']}/datastore"
    name = "com.example.schedule.kakehashi"
    status, body = await garoon.call("POST", f"{base}/{name}", json={"value": {"graphId": "AAA"}})
    assert (status, body) == (200, {"value": {"graphId": "AAA"}})
    status, body = await garoon.call("GET", f"{base}/{name}")
    assert body == {"value": {"graphId": "AAA"}}
    status, _ = await garoon.call("POST", f"{base}/{name}", json={"value": {}})
    assert status == 400  # exists: use PUT
    status, body = await garoon.call("PUT", f"{base}/{name}", json={"value": {"graphId": "BBB"}})
    assert body == {"value": {"graphId": "BBB"}}
    status, _ = await garoon.call("GET", f"{base}/bad_name")
    assert status == 400
    status, _ = await garoon.call("PUT", f"{base}/{name}", "suzuki", json={"value": {}})
    assert status == 403  # suzuki sees the public event but may not edit it
    for i in range(9):
        status, _ = await garoon.call(
            "POST", f"{base}/com.example.schedule.n{i}", json={"value": {}}
        )
        assert status == 200
    status, _ = await garoon.call("POST", f"{base}/com.example.schedule.n9", json={"value": {}})
    assert status == 400  # at most 10 names
    status, _ = await garoon.call("DELETE", f"{base}/{name}")
    assert status == 204
    status, _ = await garoon.call("GET", f"{base}/{name}")
    assert status == 404


async def test_malformed_auth_unknown_path_and_method(garoon: Garoon) -> None:
    headers = {"X-Cybozu-Authorization": "***"}
    async with garoon.session.get(f"{garoon.rest}/base/users", headers=headers) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["errorCode"] == "GRN_REST_API_00001"
    status, err = await garoon.call("GET", "/schedule/nothing")
    assert (status, err["error"]["errorCode"]) == (400, "GRN_REST_API_00101")
    status, err = await garoon.call("PUT", "/schedule/events")
    assert (status, err["error"]["errorCode"]) == (405, "GRN_REST_API_00102")


async def test_watchers_see_private_events(garoon: Garoon) -> None:
    body = regular(
        "内密", (2,), visibilityType="PRIVATE", watchers=[{"type": "USER", "code": "sato"}]
    )
    status, ev = await garoon.call("POST", "/schedule/events", "suzuki", json=body)
    assert status == 200, ev
    status, got = await garoon.call("GET", f"/schedule/events/{ev['id']}", "sato")
    assert status == 200
    assert got["watchers"] == [{"id": "1", "code": "sato", "name": "佐藤 昇", "type": "USER"}]
    status, _ = await garoon.call("GET", f"/schedule/events/{ev['id']}", "tanaka")
    assert status == 404
    # watchers may look but not edit
    patch = {"subject": "x", "start": ev["start"], "end": ev["end"]}
    status, _ = await garoon.call("PATCH", f"/schedule/events/{ev['id']}", "sato", json=patch)
    assert status == 403


async def test_unknown_targets(garoon: Garoon) -> None:
    for params in (
        {"target": "99", "targetType": "organization"},
        {"target": "99", "targetType": "facility"},
        {"target": "1", "targetType": "group"},
    ):
        status, body = await garoon.call("GET", "/schedule/events", params=params)
        assert status >= 400, params
        assert "errorCode" in body["error"]
