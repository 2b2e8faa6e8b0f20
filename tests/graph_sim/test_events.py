"""Event CRUD contract: changeKey/etag, transactionId, $select, extended props, zones, Teams."""

from __future__ import annotations

import re

from kakehashi.graph_sim import GraphSimServer

from .conftest import Graph, Seeded, event_body

PROP = "String {66f5a359-4659-4830-9070-00040ec6ac6e} Name GaroonEventId"
TOKYO = {"Prefer": 'outlook.timezone="Tokyo Standard Time"'}


async def test_create_get_update_delete_with_changing_change_key(
    graph: Graph, seeded: Seeded
) -> None:
    created = await graph.post(
        f"/users/{seeded.alice}/events", event_body(categories=["Garoon"], sensitivity="private")
    )
    assert created.status == 201
    ev = created.body
    assert ev["@odata.etag"] == f'W/"{ev["changeKey"]}"'
    assert ev["type"] == "singleInstance"
    assert ev["isOrganizer"] is True
    assert ev["start"] == {"dateTime": "2026-05-12T01:00:00.0000000", "timeZone": "UTC"}
    assert ev["originalStartTimeZone"] == "Tokyo Standard Time"
    assert ev["iCalUId"].startswith("040000008200E00074C5B7101A82E008")
    assert ev["sensitivity"] == "private"
    assert ev["categories"] == ["Garoon"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", ev["createdDateTime"])
    got = await graph.get(f"/users/alice@contoso.example/calendar/events/{ev['id']}", headers=TOKYO)
    assert got.status == 200
    assert got.body["start"] == {
        "dateTime": "2026-05-12T10:00:00.0000000",
        "timeZone": "Tokyo Standard Time",
    }
    iana = await graph.get(
        f"/users/{seeded.alice}/events/{ev['id']}",
        headers={"Prefer": 'outlook.timezone="Asia/Tokyo"'},
    )
    assert iana.body["end"] == {"dateTime": "2026-05-12T11:00:00.0000000", "timeZone": "Asia/Tokyo"}
    patched = await graph.patch(
        f"/users/{seeded.alice}/events/{ev['id']}",
        {"subject": "Moved", "location": {"displayName": "Room A"}},
    )
    assert patched.status == 200
    assert patched.body["changeKey"] != ev["changeKey"]
    assert patched.body["locations"][0]["displayName"] == "Room A"
    assert patched.body["id"] == ev["id"]
    assert (await graph.delete(f"/users/{seeded.alice}/events/{ev['id']}")).status == 204
    gone = await graph.get(f"/users/{seeded.alice}/events/{ev['id']}")
    assert gone.status == 404
    assert gone.body["error"]["code"] == "ErrorItemNotFound"


async def test_validation_errors(graph: Graph, seeded: Seeded) -> None:
    bad = await graph.post(f"/users/{seeded.alice}/events", event_body(sensitivity="secret"))
    assert bad.status == 400
    tz = await graph.post(
        f"/users/{seeded.alice}/events",
        event_body(start={"dateTime": "2026-05-12T10:00:00", "timeZone": "Mars/Base"}),
    )
    assert tz.status == 400
    allday = await graph.post(f"/users/{seeded.alice}/events", event_body(isAllDay=True))
    assert allday.status == 400
    ok = await graph.post(
        f"/users/{seeded.alice}/events",
        event_body(
            isAllDay=True,
            start={"dateTime": "2026-05-12T00:00:00", "timeZone": "Tokyo Standard Time"},
            end={"dateTime": "2026-05-13T00:00:00", "timeZone": "Tokyo Standard Time"},
        ),
    )
    assert ok.status == 201
    assert ok.body["isAllDay"] is True
    nobody = await graph.post("/users/nobody@contoso.example/events", event_body())
    assert nobody.status == 404
    assert nobody.body["error"]["code"] == "ErrorInvalidUser"


async def test_transaction_id_replay_returns_the_original(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    first = await graph.post(f"/users/{seeded.alice}/events", event_body(transactionId="txn-1"))
    again = await graph.post(
        f"/users/{seeded.alice}/events", event_body("changed", transactionId="txn-1")
    )
    assert first.status == again.status == 201
    assert again.body["id"] == first.body["id"]
    assert again.body["subject"] == "Sync test"
    assert first.body["transactionId"] == "txn-1"
    listed = await graph.get(f"/users/{seeded.alice}/events")
    assert len(listed.body["value"]) == 1
    server.sim.set_switches(transaction_id_duplicate="conflict")
    conflict = await graph.post(f"/users/{seeded.alice}/events", event_body(transactionId="txn-1"))
    assert conflict.status == 409
    no_change = await graph.patch(
        f"/users/{seeded.alice}/events/{first.body['id']}", {"transactionId": "other"}
    )
    assert no_change.status == 400


async def test_select_extended_property_filter_and_expand(graph: Graph, seeded: Seeded) -> None:
    tagged = await graph.post(
        f"/users/{seeded.alice}/events",
        event_body("tagged", singleValueExtendedProperties=[{"id": PROP, "value": "G-42"}]),
    )
    assert "singleValueExtendedProperties" not in tagged.body
    await graph.post(f"/users/{seeded.alice}/events", event_body("plain"))
    flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROP}' and ep/value eq 'g-42')"
    found = await graph.get(f"/users/{seeded.alice}/events?$filter={flt}&$select=subject")
    assert found.status == 200
    assert [e["subject"] for e in found.body["value"]] == ["tagged"]
    assert set(found.body["value"][0]) == {"@odata.etag", "id", "subject"}
    wrong_name = PROP.replace("GaroonEventId", "garooneventid")
    none = await graph.get(
        f"/users/{seeded.alice}/events?$filter=singleValueExtendedProperties/Any(ep: ep/id eq "
        f"'{wrong_name}' and ep/value eq 'G-42')"
    )
    assert none.body["value"] == []
    expanded = await graph.get(
        f"/users/{seeded.alice}/events/{tagged.body['id']}"
        f"?$expand=singleValueExtendedProperties($filter=id eq '{PROP}')"
    )
    assert expanded.body["singleValueExtendedProperties"] == [{"id": PROP, "value": "G-42"}]
    plain = await graph.get(f"/users/{seeded.alice}/events/{tagged.body['id']}")
    assert "singleValueExtendedProperties" not in plain.body


async def test_paging_and_immutable_id_logging(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    for i in range(5):
        await graph.post(
            f"/users/{seeded.alice}/events",
            event_body(f"e{i}"),
            headers={"Prefer": 'IdType="ImmutableId"'},
        )
    first = await graph.get(
        f"/users/{seeded.alice}/events", headers={"Prefer": "odata.maxpagesize=2"}
    )
    assert len(first.body["value"]) == 2
    second = await graph.get(
        first.body["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"}
    )
    third = await graph.get(
        second.body["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"}
    )
    assert len(third.body["value"]) == 1
    assert "@odata.nextLink" not in third.body
    posts = [
        r
        for r in server.sim.request_log
        if r["method"] == "POST" and r["endpoint"].endswith("/events")
    ]
    assert posts
    assert all(r["immutableId"] for r in posts)
    gets = [r for r in server.sim.request_log if r["method"] == "GET"]
    assert not any(r["immutableId"] for r in gets)


async def test_mutable_ids_switch(graph: Graph, seeded: Seeded, server: GraphSimServer) -> None:
    server.sim.set_switches(mutable_ids_change_on_update=True)
    ev = (await graph.post(f"/users/{seeded.alice}/events", event_body())).body
    stable = await graph.patch(
        f"/users/{seeded.alice}/events/{ev['id']}",
        {"subject": "a"},
        headers={"Prefer": 'IdType="ImmutableId"'},
    )
    assert stable.body["id"] == ev["id"]
    moved = await graph.patch(f"/users/{seeded.alice}/events/{ev['id']}", {"subject": "b"})
    assert moved.body["id"] != ev["id"]
    assert (await graph.get(f"/users/{seeded.alice}/events/{ev['id']}")).status == 404


async def test_teams_meeting_gets_join_url_and_body_block(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    ev = await graph.post(
        f"/users/{seeded.alice}/events",
        event_body(
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
            body={"contentType": "text", "content": "Agenda"},
        ),
    )
    assert ev.body["isOnlineMeeting"] is True
    join = ev.body["onlineMeeting"]["joinUrl"]
    assert join.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert ev.body["body"]["contentType"] == "html"
    assert join in ev.body["body"]["content"]
    off = await graph.patch(
        f"/users/{seeded.alice}/events/{ev.body['id']}", {"isOnlineMeeting": False}
    )
    assert off.body["isOnlineMeeting"] is True
    assert off.body["onlineMeeting"]["joinUrl"] == join
    server.sim.users[seeded.bob].teams_enabled = False
    unlicensed = await graph.post(
        f"/users/{seeded.bob}/events",
        event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"),
    )
    assert unlicensed.status == 201
    assert unlicensed.body["isOnlineMeeting"] is False
    assert unlicensed.body["onlineMeetingProvider"] == "unknown"


async def test_users_rooms_and_calendar(graph: Graph, seeded: Seeded) -> None:
    user = await graph.get("/users/bob@contoso.example")
    assert user.body["id"] == seeded.bob
    assert user.body["mail"] == "bob@contoso.example"
    missing = await graph.get("/users/zed@contoso.example")
    assert missing.status == 404
    assert missing.body["error"]["code"] == "Request_ResourceNotFound"
    rooms = await graph.get("/places/microsoft.graph.room")
    assert [r["emailAddress"] for r in rooms.body["value"]] == ["room-a@contoso.example"]
    cal = await graph.get(f"/users/{seeded.alice}/calendar")
    assert "teamsForBusiness" in cal.body["allowedOnlineMeetingProviders"]


async def test_get_schedule(graph: Graph, seeded: Seeded) -> None:
    await graph.post(
        f"/users/{seeded.bob}/events",
        event_body(
            attendees=[
                {
                    "type": "resource",
                    "emailAddress": {"address": "room-a@contoso.example", "name": "Room A"},
                }
            ]
        ),
    )
    body = {
        "schedules": ["bob@contoso.example", "room-a@contoso.example", "ghost@contoso.example"],
        "startTime": {"dateTime": "2026-05-12T09:00:00", "timeZone": "Tokyo Standard Time"},
        "endTime": {"dateTime": "2026-05-12T12:00:00", "timeZone": "Tokyo Standard Time"},
        "availabilityViewInterval": 60,
    }
    reply = await graph.post(f"/users/{seeded.alice}/calendar/getSchedule", body, headers=TOKYO)
    assert reply.status == 200
    bob, room, ghost = reply.body["value"]
    assert bob["availabilityView"] == "020"
    assert bob["scheduleItems"][0]["start"]["dateTime"] == "2026-05-12T10:00:00.0000000"
    assert room["availabilityView"] == "020"
    assert ghost["error"]["responseCode"] == "ErrorMailRecipientNotFound"
    body["endTime"] = {"dateTime": "2026-08-12T12:00:00", "timeZone": "Tokyo Standard Time"}
    too_big = await graph.post(f"/users/{seeded.alice}/calendar/getSchedule", body)
    assert too_big.status == 400


async def test_if_match(graph: Graph, seeded: Seeded, server: GraphSimServer) -> None:
    ev = (await graph.post(f"/users/{seeded.alice}/events", event_body())).body
    url = f"/users/{seeded.alice}/events/{ev['id']}"
    ok = await graph.patch(url, {"subject": "x"}, headers={"If-Match": ev["@odata.etag"]})
    assert ok.status == 200
    stale = await graph.patch(url, {"subject": "y"}, headers={"If-Match": ev["@odata.etag"]})
    assert stale.status == 412
    assert stale.body["error"]["code"] == "ErrorIrresolvableConflict"
    assert (await graph.delete(url, headers={"If-Match": ev["@odata.etag"]})).status == 412
    server.sim.set_switches(honour_if_match=False)
    assert (await graph.delete(url, headers={"If-Match": ev["@odata.etag"]})).status == 204


async def test_teams_block_is_outlook_shaped(graph: Graph, seeded: Seeded) -> None:
    """Long rules (80 underscores) on lines of their own, not glued to the body text."""
    ev = await graph.post(
        f"/users/{seeded.alice}/events",
        event_body(
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
            body={"contentType": "text", "content": "Agenda"},
        ),
    )
    content = ev.body["body"]["content"]
    assert content.count("_" * 80) == 2
    assert "Agenda" + "_" not in content
    assert "Microsoft Teams meeting" in content
