"""Every Garoon repeat type reaches Outlook as one series; single-occurrence edits and deletes
and this-and-following from Garoon (product §2.1). Series are compared occurrence by
occurrence by the final verify."""

from __future__ import annotations

import pytest

from tests.e2e.events import SATO, SATO_MAIL, day
from tests.e2e.harness import Harness
from tests.e2e.test_repeats import GAROON_RULES, garoon_series

pytestmark = pytest.mark.e2e


async def test_every_garoon_repeat_type_reaches_outlook(harness: Harness) -> None:
    for name, rule in GAROON_RULES.items():
        await harness.garoon_person(SATO, "create", garoon_series(f"g {name}", rule))
    await harness.wait_converged(timeout=30)


async def test_single_occurrence_edit_and_delete_from_garoon(harness: Harness) -> None:
    series = await harness.garoon_person(SATO, "create", garoon_series("g occ", {"type": "day"}, 2))
    await harness.wait_converged()
    moved = {"subject": "g occ moved"}
    await harness.garoon_person(
        SATO,
        "edit",
        {
            "eventId": series["id"],
            "changes": moved,
            "range": "THIS_ONLY",
            "date": day(3).isoformat(),
        },
    )
    await harness.garoon_person(
        SATO, "delete", {"eventId": series["id"], "range": "THIS_ONLY", "date": day(5).isoformat()}
    )
    await harness.wait_outlook(SATO_MAIL, "g occ moved")
    await harness.wait_converged()


async def test_this_and_following_from_garoon(harness: Harness) -> None:
    series = await harness.garoon_person(
        SATO, "create", garoon_series("g split", {"type": "day"}, 2)
    )
    await harness.wait_converged()
    await harness.garoon_person(
        SATO,
        "edit",
        {
            "eventId": series["id"],
            "changes": {"subject": "g split later"},
            "range": "ON_AND_AFTER",
            "date": day(6).isoformat(),
        },
    )
    await harness.wait_outlook(SATO_MAIL, "g split later", count=9)
    await harness.wait_converged()
