"""Participants, facilities, menus: meetings with several linked attendees, unlinked people,
facilities ⇄ rooms and schedule menus ⇄ categories (product §2.2)."""

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


async def test_outlook_meeting_with_linked_attendees_is_one_garoon_event(harness: Harness) -> None:
    await harness.outlook_create(SATO_MAIL, outlook_event("o meeting", SUZUKI_MAIL, TAKAHASHI_MAIL))
    [event] = await harness.wait_garoon(SATO, "o meeting")
    assert {a["code"] for a in event["attendees"] if a.get("type") == "USER"} >= {
        SATO,
        SUZUKI,
        TAKAHASHI,
    }
    for login in (SUZUKI, TAKAHASHI):
        [same] = await harness.wait_garoon(login, "o meeting")
        assert same["id"] == event["id"]
    await harness.wait_converged()


async def test_outlook_guests_are_listed_and_attendee_changes_and_delete_follow(
    harness: Harness,
) -> None:
    # An outside guest is listed in the Garoon memo, never made a participant; removing a
    # linked attendee in Outlook removes them in Garoon; the organizer's delete removes the
    # one Garoon event for everyone.
    guest = "guest@partner.example"
    made = await harness.outlook_create(
        SATO_MAIL, outlook_event("o with guest", SUZUKI_MAIL, TAKAHASHI_MAIL, guest)
    )
    [event] = await harness.wait_garoon(SATO, "o with guest")
    users = {a["code"] for a in event["attendees"] if a.get("type") == "USER"}
    assert users == {SATO, SUZUKI, TAKAHASHI}
    assert guest in event.get("notes", "")
    await harness.wait_converged()
    attendees = [
        {"type": "required", "emailAddress": {"address": a}} for a in (TAKAHASHI_MAIL, guest)
    ]
    await harness.outlook_update(SATO_MAIL, made["id"], {"attendees": attendees})
    await harness.wait_garoon(SUZUKI, "o with guest", count=0)
    [event] = await harness.wait_garoon(SATO, "o with guest")
    assert {a["code"] for a in event["attendees"] if a.get("type") == "USER"} == {SATO, TAKAHASHI}
    await harness.wait_converged()
    await harness.outlook_delete(SATO_MAIL, made["id"])
    for login in (SATO, TAKAHASHI):
        await harness.wait_garoon(login, "o with guest", count=0)
    await harness.wait_converged()


async def test_outlook_body_location_and_company_block_reach_garoon(harness: Harness) -> None:
    # HTML becomes plain text in the memo; the location becomes the address; an edit of the
    # Kakehashi block in Outlook (a new phone number) becomes Garoon's company info.
    await harness.outlook_create(
        SATO_MAIL,
        outlook_event(
            "o memo",
            body={"contentType": "html", "content": "<p>持ち物: <b>資料</b></p><p>二行目</p>"},
            location={"displayName": "東京都港区"},
        ),
    )
    [event] = await harness.wait_garoon(SATO, "o memo")
    assert "持ち物: 資料" in event["notes"]
    assert "二行目" in event["notes"]
    assert "<" not in event["notes"]
    assert event["companyInfo"]["address"] == "東京都港区"
    await harness.wait_converged()

    company = {"name": "取引先", "phone": "03-0000-0000", "address": "東京都千代田区"}
    await harness.garoon_person(
        SATO, "create", garoon_event("g company", notes="議題", companyInfo=company)
    )
    [copy] = await harness.wait_outlook(SATO_MAIL, "g company")
    assert "03-0000-0000" in copy["body"]["content"]
    await harness.wait_converged()
    content = copy["body"]["content"].replace("03-0000-0000", "03-1111-1111")
    await harness.outlook_update(
        SATO_MAIL, copy["id"], {"body": {"contentType": "html", "content": content}}
    )

    async def phone_changed() -> bool:
        [g] = await harness.wait_garoon(SATO, "g company")
        info = g.get("companyInfo") or {}
        return info.get("phone") == "03-1111-1111" and info.get("name") == "取引先"

    await wait_until(phone_changed, timeout=SYNC_TIMEOUT, message="the new phone in Garoon")
    [g] = await harness.wait_garoon(SATO, "g company")
    assert g["notes"].strip() == "議題"  # the block is not copied into the memo
    await harness.wait_converged()
