"""Product §2.1 event kinds, both ways: create (and change, delete) as a person on one side, wait
for the other side through its real API, and end with a clean verify."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    garoon_event,
    outlook_event,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_regular_event_from_garoon(harness: Harness) -> None:
    await harness.garoon_person(SATO, "create", garoon_event("g regular"))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g regular")
    assert not copy["isAllDay"]
    await harness.wait_converged()


async def test_regular_event_from_outlook(harness: Harness) -> None:
    await harness.outlook_create(SATO_MAIL, outlook_event("o regular"))
    [copy] = await harness.wait_garoon(SATO, "o regular")
    assert copy["eventType"] == "REGULAR"
    await harness.wait_converged()


async def test_private_event_both_ways(harness: Harness) -> None:
    # Garoon shows a private event only to its attendees and 公開先 (watchers): the service
    # account must be among the watchers to sync it (docs/garoon-setup.md, "Private events").
    await harness.garoon_person(
        SATO,
        "create",
        garoon_event(
            "g private",
            visibilityType="PRIVATE",
            watchers=[{"type": "USER", "code": "kakehashi"}],
        ),
    )
    await harness.outlook_create(SATO_MAIL, outlook_event("o private", sensitivity="private"))
    [copy] = await harness.wait_outlook(SATO_MAIL, "g private")
    assert copy["sensitivity"] == "private"
    [back] = await harness.wait_garoon(SATO, "o private")
    assert back["visibilityType"] == "PRIVATE"
    await harness.wait_converged()
