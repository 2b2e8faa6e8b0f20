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
    outlook_event,
)
from tests.e2e.harness import Harness

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
