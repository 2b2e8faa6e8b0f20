"""Every Garoon repeat type and the Graph rules both ways; single-occurrence edits and deletes
(product §2.1). Series are compared occurrence by occurrence by the final verify."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    day,
    garoon_event,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

# Garoon SOAP repeat conditions (the simulator's person create takes them as "repeat").
GAROON_RULES: dict[str, dict[str, str]] = {
    "daily": {"type": "day"},
    "weekdays": {"type": "weekday"},
    "weekly": {"type": "week", "week": "2"},
    "every 2 weeks": {"type": "once_every_two_weeks", "week": "3"},
    "every 3 weeks": {"type": "once_every_three_weeks", "week": "4"},
    "2nd monday": {"type": "2ndweek", "week": "1"},
    "last friday": {"type": "lastweek", "week": "5"},
    "monthly day 15": {"type": "month", "day": "15"},
    "end of month": {"type": "month", "day": "0"},
}


def garoon_series(subject: str, rule: dict[str, str], weeks: int = 10) -> dict[str, Any]:
    body = garoon_event(subject)
    body["repeat"] = {
        **rule,
        "start_date": day(1).isoformat(),
        "end_date": day(7 * weeks).isoformat(),
        "start_time": "10:00:00",
        "end_time": "11:00:00",
    }
    return body


def outlook_series(subject: str, pattern: dict[str, Any], weeks: int = 10) -> dict[str, Any]:
    first = day(1).isoformat()
    return {
        "subject": subject,
        "start": {"dateTime": f"{first}T10:00:00", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": f"{first}T11:00:00", "timeZone": "Tokyo Standard Time"},
        "recurrence": {
            "pattern": pattern,
            "range": {"type": "endDate", "startDate": first, "endDate": day(7 * weeks).isoformat()},
        },
    }


async def test_graph_rules_reach_garoon_expressible_or_as_occurrences(harness: Harness) -> None:
    patterns: dict[str, dict[str, Any]] = {
        "daily": {"type": "daily", "interval": 1},
        "weekly": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
        "every 2 weeks": {"type": "weekly", "interval": 2, "daysOfWeek": ["wednesday"]},
        "monthly day 10": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 10},
        "3rd thursday": {
            "type": "relativeMonthly",
            "interval": 1,
            "daysOfWeek": ["thursday"],
            "index": "third",
        },
        # Garoon has no every-4-weeks rule: synced as single occurrences inside the window.
        "every 4 weeks": {"type": "weekly", "interval": 4, "daysOfWeek": ["friday"]},
        "mon and thu monthly": {
            "type": "relativeMonthly",
            "interval": 1,
            "daysOfWeek": ["monday", "thursday"],
            "index": "first",
        },
    }
    for name, pattern in patterns.items():
        await harness.outlook_create(SATO_MAIL, outlook_series(f"o {name}", pattern))
    await harness.wait_converged(timeout=30)


async def test_single_occurrence_edit_and_delete_from_outlook(harness: Harness) -> None:
    series = await harness.outlook_create(
        SATO_MAIL, outlook_series("o occ", {"type": "daily", "interval": 1}, 2)
    )
    await harness.wait_converged()
    instances = await harness.graph.instances(
        harness.m.user(SATO).graph_id, series["id"], harness.window().start, harness.window().end
    )
    by_day = {i["start"]["dateTime"][:10]: i for i in instances}
    third, fifth = by_day[day(3).isoformat()], by_day[day(5).isoformat()]
    await harness.outlook_update(SATO_MAIL, third["id"], {"subject": "o occ moved"})
    await harness.outlook_delete(SATO_MAIL, fifth["id"])
    await harness.wait_garoon(SATO, "o occ moved")
    await harness.wait_converged()


async def test_more_graph_rules_reach_garoon(harness: Harness) -> None:
    # The §2.1 rows the first Graph scenario leaves out: every weekday, every 3 weeks, the last
    # weekday of the month, the end of the month, and a yearly rule (Garoon has none).
    patterns: dict[str, dict[str, Any]] = {
        "weekdays": {
            "type": "weekly",
            "interval": 1,
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        },
        "every 3 weeks": {"type": "weekly", "interval": 3, "daysOfWeek": ["thursday"]},
        "last friday": {
            "type": "relativeMonthly",
            "interval": 1,
            "daysOfWeek": ["friday"],
            "index": "last",
        },
        "end of month": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
        "yearly": {
            "type": "absoluteYearly",
            "interval": 1,
            "dayOfMonth": day(2).day,
            "month": day(2).month,
        },
    }
    for name, pattern in patterns.items():
        await harness.outlook_create(SATO_MAIL, outlook_series(f"o {name}", pattern, 14))
    await harness.wait_garoon(SATO, "o yearly")
    await harness.wait_converged(timeout=30)


async def test_this_and_following_from_outlook(harness: Harness) -> None:
    # Outlook's "this and all following": the series ends the day before, a new series starts.
    series = await harness.outlook_create(
        SATO_MAIL, outlook_series("o split", {"type": "daily", "interval": 1}, 2)
    )
    await harness.wait_garoon(SATO, "o split", count=14)
    await harness.wait_converged()
    recurrence = series["recurrence"]
    recurrence["range"] = recurrence["range"] | {"endDate": day(5).isoformat()}
    await harness.outlook_update(SATO_MAIL, series["id"], {"recurrence": recurrence})
    later = outlook_series("o split later", {"type": "daily", "interval": 1}, 2)
    first = day(6).isoformat()
    later["start"]["dateTime"] = f"{first}T10:00:00"
    later["end"]["dateTime"] = f"{first}T11:00:00"
    later["recurrence"]["range"]["startDate"] = first
    await harness.outlook_create(SATO_MAIL, later)
    await harness.wait_garoon(SATO, "o split", count=5)
    await harness.wait_garoon(SATO, "o split later", count=9)
    await harness.wait_converged()
