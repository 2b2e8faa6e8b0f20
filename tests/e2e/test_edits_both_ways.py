"""Product §2.1 event kinds, both ways: change and delete as a person on one side, all-day
events and multi-day banners; wait for the other side through its real API, and end with a
clean verify."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    garoon_all_day,
    garoon_event,
    outlook_all_day,
    outlook_event,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


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
