"""Product §2.1 event kinds, both ways: change and delete as a person on one side, all-day
events and multi-day banners; wait for the other side through its real API, and end with a
clean verify."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kakehashi.engine import timezones
from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    day,
    garoon_all_day,
    garoon_event,
    outlook_all_day,
    outlook_event,
)
from tests.e2e.harness import SYNC_TIMEOUT, Harness
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def instant(value: dict[str, Any]) -> datetime:
    """A Garoon (offset, IANA zone) or Graph (wall clock, Windows or IANA zone) time."""
    text = value["dateTime"]
    moment = datetime.fromisoformat(text[:19] + text[19:].lstrip(".0123456789"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezones.to_iana(value["timeZone"], "UTC")))
    return moment


async def test_changes_and_deletes_from_garoon(harness: Harness) -> None:
    created = await harness.garoon_person(SATO, "create", garoon_event("g change me"))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g change me")
    changes = {"subject": "g changed"}
    await harness.garoon_person(
        SATO, "edit", {"eventId": created["id"], "changes": changes, "range": "ALL"}
    )
    [moved] = await harness.wait_outlook(SATO_MAIL, "g changed")
    assert moved["id"] == copy["id"]  # updated in place, not re-created
    await harness.wait_converged()
    await harness.garoon_person(SATO, "delete", {"eventId": created["id"], "range": "ALL"})
    await harness.wait_outlook(SATO_MAIL, "g changed", count=0)
    await harness.wait_converged()


async def test_changes_and_deletes_from_outlook(harness: Harness) -> None:
    created = await harness.outlook_create(SATO_MAIL, outlook_event("o change me"))
    [copy] = await harness.wait_garoon(SATO, "o change me")
    await harness.outlook_update(SATO_MAIL, created["id"], {"subject": "o changed"})
    [moved] = await harness.wait_garoon(SATO, "o changed")
    assert moved["id"] == copy["id"]
    await harness.wait_converged()
    # Graph names a deleted event by its id alone (no iCalUId left to read).
    await harness.outlook_delete(SATO_MAIL, created["id"])
    await harness.wait_garoon(SATO, "o changed", count=0)
    await harness.wait_converged()


async def test_all_day_event_both_ways(harness: Harness) -> None:
    await harness.garoon_person(SATO, "create", garoon_all_day("g all day", 2, 2, banner=False))
    await harness.outlook_create(SATO_MAIL, outlook_all_day("o all day", 3, 1))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g all day")
    assert copy["isAllDay"]
    [back] = await harness.wait_garoon(SATO, "o all day")
    assert back["isAllDay"] or back["eventType"] == "ALL_DAY"
    await harness.wait_converged()


async def test_multi_day_banner_both_ways(harness: Harness) -> None:
    await harness.garoon_person(SATO, "create", garoon_all_day("g banner", 2, 4, banner=True))
    await harness.outlook_create(SATO_MAIL, outlook_all_day("o banner", 5, 3))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g banner")
    assert copy["isAllDay"]
    [back] = await harness.wait_garoon(SATO, "o banner")
    assert back["eventType"] == "ALL_DAY"
    # Dates (Outlook's exclusive end against Garoon's inclusive last day) are compared by
    # the verify below, after translation.
    await harness.wait_converged()


async def test_time_zones_and_moves_both_ways(harness: Harness) -> None:
    # Product §2.2 "Date/time, time zone": a Garoon IANA zone becomes a Windows zone in
    # Outlook and back; a move on either side lands at the same instants on the other.
    ny = ZoneInfo("America/New_York")
    start = datetime.now(ny).replace(hour=9, minute=0, second=0, microsecond=0)
    start += timedelta(days=2)
    g_body = garoon_event(
        "g new york",
        start={"dateTime": start.isoformat(), "timeZone": "America/New_York"},
        end={"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "America/New_York"},
    )
    created = await harness.garoon_person(SATO, "create", g_body)
    berlin = {"dateTime": f"{day(3).isoformat()}T09:00:00", "timeZone": "W. Europe Standard Time"}
    made = await harness.outlook_create(
        SATO_MAIL,
        outlook_event(
            "o berlin",
            start=berlin,
            end=berlin | {"dateTime": berlin["dateTime"][:11] + "10:00:00"},
        ),
    )
    [copy] = await harness.wait_outlook(SATO_MAIL, "g new york")
    assert copy["originalStartTimeZone"] == "Eastern Standard Time"
    assert instant(copy["start"]) == start
    [back] = await harness.wait_garoon(SATO, "o berlin")
    assert back["start"]["timeZone"] == "Europe/Berlin"
    assert instant(back["start"]) == datetime(
        *day(3).timetuple()[:3], 9, tzinfo=ZoneInfo("Europe/Berlin")
    )
    await harness.wait_converged()

    # Moves: an hour later in Garoon, a day later in Outlook.
    later = start + timedelta(hours=1)
    moved = {
        "start": {"dateTime": later.isoformat(), "timeZone": "America/New_York"},
        "end": {
            "dateTime": (later + timedelta(hours=1)).isoformat(),
            "timeZone": "America/New_York",
        },
    }
    await harness.garoon_person(
        SATO, "edit", {"eventId": created["id"], "changes": moved, "range": "ALL"}
    )
    next_day = {"dateTime": f"{day(4).isoformat()}T09:00:00", "timeZone": "W. Europe Standard Time"}
    await harness.outlook_update(
        SATO_MAIL,
        made["id"],
        {"start": next_day, "end": next_day | {"dateTime": next_day["dateTime"][:11] + "10:00:00"}},
    )

    async def moved_across() -> bool:
        [o] = await harness.wait_outlook(SATO_MAIL, "g new york")
        [g] = await harness.wait_garoon(SATO, "o berlin")
        return instant(o["start"]) == later and g["start"]["dateTime"].startswith(
            day(4).isoformat()
        )

    await wait_until(moved_across, timeout=SYNC_TIMEOUT, message="both moves on the other side")
    await harness.wait_converged()
