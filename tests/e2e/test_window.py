"""Product §2.1 "repeats further than 1 year ahead": a rolling window whose length the tenant
sets. A rule Garoon cannot express reaches it as occurrences inside the window only; widening
the window (as the days roll) brings the later ones in. A rule both sides express travels as
one series."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.events import SATO, SATO_MAIL, day
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def endless(subject: str, pattern: dict[str, Any]) -> dict[str, Any]:
    first = day(1).isoformat()
    return {
        "subject": subject,
        "start": {"dateTime": f"{first}T10:00:00", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": f"{first}T11:00:00", "timeZone": "Tokyo Standard Time"},
        "recurrence": {"pattern": pattern, "range": {"type": "noEnd", "startDate": first}},
    }


async def test_endless_series_follow_the_configured_rolling_window(harness: Harness) -> None:
    policy = await harness.admin("PUT", "/policy", {"repeat_window_days": 14})
    assert policy["repeat_window_days"] == 14
    # Every day for a week, then three weeks off: Garoon has no such rule.
    await harness.outlook_create(
        SATO_MAIL,
        endless("o every 4 weeks", {"type": "weekly", "interval": 4, "daysOfWeek": EVERY_DAY}),
    )
    await harness.outlook_create(SATO_MAIL, endless("o endless", {"type": "daily", "interval": 1}))
    # The expressible rule is one Garoon series, however far it runs.
    series = await harness.wait_garoon(SATO, "o endless", count=59)
    assert {e["repeatInfo"]["type"] for e in series} == {"EVERY_DAY"}
    # The other: single Garoon events for the occurrences inside the 14 days, none after.
    await harness.wait_converged(days=14)
    singles = await occurrences(harness, "o every 4 weeks")
    assert singles
    assert max(singles) < day(14).isoformat()

    # The window grows (as days roll by): the next occurrences enter it and are synced.
    await harness.admin("PUT", "/policy", {"repeat_window_days": 60})
    await harness.graph_missed(SATO)
    await harness.wait_converged()
    later = await occurrences(harness, "o every 4 weeks")
    assert max(later) > day(14).isoformat()
    assert set(singles) < set(later)


async def occurrences(harness: Harness, subject: str) -> list[str]:
    """The dates of `subject`'s Garoon events, each a single event (no repeat rule)."""
    found = [e for e in await harness.garoon_events(SATO) if e.get("subject") == subject]
    assert all(not e.get("repeatInfo") for e in found)
    return sorted(e["start"]["dateTime"][:10] for e in found)
