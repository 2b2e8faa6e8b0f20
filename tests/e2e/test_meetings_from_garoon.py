"""Participants, facilities, menus: meetings with several linked attendees, unlinked people,
facilities ⇄ rooms and schedule menus ⇄ categories (product §2.2), from Garoon (and back)."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    SUZUKI,
    SUZUKI_MAIL,
    TAKAHASHI,
    TAKAHASHI_MAIL,
    garoon_event,
    outlook_event,
)
from tests.e2e.harness import SYNC_TIMEOUT, Harness
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_garoon_meeting_with_linked_attendees_is_one_outlook_meeting(
    harness: Harness,
) -> None:
    await harness.garoon_person(SATO, "create", garoon_event("g meeting", SATO, SUZUKI, TAKAHASHI))
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g meeting")
    invited = {a["emailAddress"]["address"].lower() for a in meeting["attendees"]}
    assert {SUZUKI_MAIL, TAKAHASHI_MAIL} <= invited
    # Exchange's attendee copies, not second meetings: each has the organizer's iCalUId.
    for mail in (SUZUKI_MAIL, TAKAHASHI_MAIL):
        [copy] = await harness.wait_outlook(mail, "g meeting")
        assert copy["iCalUId"] == meeting["iCalUId"]
    for login in (SATO, SUZUKI, TAKAHASHI):
        assert len(await harness.wait_garoon(login, "g meeting")) == 1
    await harness.wait_converged()


async def test_unlinked_participants_are_listed_never_invited(harness: Harness) -> None:
    await harness.garoon_control(
        "POST",
        "/users",
        {"users": [{"id": 50, "code": "yamada", "name": "山田", "password": "pw"}]},
    )
    await harness.graph_control("DELETE", "/outbox")
    await harness.garoon_person(SATO, "create", garoon_event("g with outsider", SATO, "yamada"))
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g with outsider")
    assert all("yamada" not in a["emailAddress"]["address"] for a in meeting["attendees"])
    assert "山田" in meeting["body"]["content"]
    outbox = await harness.graph_control("GET", "/outbox")
    assert not [m for m in outbox if "yamada" in str(m).lower()]
    await harness.wait_converged()


async def test_facility_becomes_room_and_room_becomes_facility(harness: Harness) -> None:
    await harness.garoon_person(
        SATO, "create", garoon_event("g in room", facilities=[{"code": "room-a"}])
    )
    room = {"type": "resource", "emailAddress": {"address": "room-b@contoso.example"}}
    await harness.outlook_create(SATO_MAIL, outlook_event("o in room", attendees=[room]))
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g in room")
    rooms = {a["emailAddress"]["address"] for a in meeting["attendees"] if a["type"] == "resource"}
    assert rooms == {"room-a@contoso.example"}
    [event] = await harness.wait_garoon(SATO, "o in room")
    assert [f["code"] for f in event["facilities"]] == ["room-b"]
    await harness.wait_converged()


async def test_memo_and_company_info_travel_in_the_body(harness: Harness) -> None:
    company = {
        "name": "取引先",
        "zipCode": "100-0001",
        "address": "東京都千代田区",
        "phone": "03-0000-0000",
    }
    await harness.garoon_person(
        SATO, "create", garoon_event("g memo", notes="持ち物: 資料", companyInfo=company)
    )
    [copy] = await harness.wait_outlook(SATO_MAIL, "g memo")
    assert "持ち物: 資料" in copy["body"]["content"]
    assert copy["location"]["displayName"] == "東京都千代田区"
    await harness.wait_converged()


async def test_menu_becomes_category_and_category_becomes_menu(harness: Harness) -> None:
    await harness.garoon_person(SATO, "create", garoon_event("g with menu", eventMenu="来客"))
    await harness.outlook_create(SATO_MAIL, outlook_event("o with category", categories=["外出"]))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g with menu")
    assert copy["categories"] == ["来客"]
    [event] = await harness.wait_garoon(SATO, "o with category")
    assert event["eventMenu"] == "外出"
    await harness.wait_converged()


async def test_garoon_join_leave_and_delete_reach_every_outlook_copy(harness: Harness) -> None:
    # 参加する / 抜ける in Garoon's screen change the Outlook meeting's attendees; the
    # organizer's delete in Garoon removes the meeting and every attendee's copy.
    created = await harness.garoon_person(SATO, "create", garoon_event("g join", SATO, SUZUKI))
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g join")
    await harness.wait_outlook(SUZUKI_MAIL, "g join")
    await harness.wait_converged()
    join = {"eventId": created["id"], "range": "ALL"}
    await harness.garoon_person(TAKAHASHI, "attend", join)
    await harness.garoon_person(SUZUKI, "leave", join)
    [copy] = await harness.wait_outlook(TAKAHASHI_MAIL, "g join")
    assert copy["iCalUId"] == meeting["iCalUId"]
    await harness.wait_outlook(SUZUKI_MAIL, "g join", count=0)
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g join")
    invited = {a["emailAddress"]["address"].lower() for a in meeting["attendees"]}
    assert TAKAHASHI_MAIL in invited
    assert SUZUKI_MAIL not in invited
    await harness.wait_converged()
    await harness.garoon_person(SATO, "delete", {"eventId": created["id"], "range": "ALL"})
    for mail in (SATO_MAIL, TAKAHASHI_MAIL):
        await harness.wait_outlook(mail, "g join", count=0)
    await harness.wait_converged()


async def test_attendance_check_answer_in_garoon_shows_in_the_outlook_meeting(
    harness: Harness,
) -> None:
    made = await harness.garoon_person(
        SATO,
        "create",
        garoon_event("g check", SATO, SUZUKI, TAKAHASHI, useAttendanceCheck=True),
    )
    [meeting] = await harness.wait_outlook(SATO_MAIL, "g check")
    assert meeting["responseRequested"] is True
    await harness.wait_outlook(SUZUKI_MAIL, "g check")  # the copy Kakehashi answers in
    [takahashi_copy] = await harness.wait_outlook(TAKAHASHI_MAIL, "g check")
    await harness.wait_converged()
    await harness.garoon_person(
        SUZUKI, "respond", {"eventId": made["id"], "status": "ACCEPTED", "comment": "行きます"}
    )

    async def shown() -> dict[str, str]:
        [now] = [e for e in await harness.outlook_events(SATO_MAIL) if e["subject"] == "g check"]
        return {
            a["emailAddress"]["address"].lower(): a["status"]["response"] for a in now["attendees"]
        }

    async def suzuki_accepted() -> bool:
        return (await shown()).get(SUZUKI_MAIL) == "accepted"

    await wait_until(suzuki_accepted, timeout=SYNC_TIMEOUT, message="Suzuki accepted in Outlook")
    assert (await shown()).get(TAKAHASHI_MAIL) == "none"  # never answered for anyone else
    await harness.wait_converged()
    [event] = await harness.wait_garoon(SATO, "g check")
    # Takahashi declines in Outlook: Garoon cannot take another user's answer, so the Garoon
    # event is left exactly as it was (no write, no ping-pong).
    path = f"/people/{TAKAHASHI_MAIL}/events/{takahashi_copy['id']}/decline"
    await harness.graph_control("POST", path, {"comment": "欠席します"})

    async def takahashi_declined() -> bool:
        return (await shown()).get(TAKAHASHI_MAIL) == "declined"

    await wait_until(takahashi_declined, timeout=SYNC_TIMEOUT, message="Takahashi declined")
    await harness.wait_converged()
    [after] = await harness.wait_garoon(SATO, "g check")
    assert after["updatedAt"] == event["updatedAt"]
    status = {a["code"]: a["attendanceResponse"]["status"] for a in after["attendees"]}
    assert status == {SATO: "PENDING", SUZUKI: "ACCEPTED", TAKAHASHI: "PENDING"}
