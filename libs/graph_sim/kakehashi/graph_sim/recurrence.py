"""Expansion of Graph's patternedRecurrence into occurrence dates (written for the simulator)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

from .errors import bad_request
from .timeutil import zone

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
INDEXES = ["first", "second", "third", "fourth", "last"]
PATTERNS = {
    "daily",
    "weekly",
    "absoluteMonthly",
    "relativeMonthly",
    "absoluteYearly",
    "relativeYearly",
}
# Safety net for noEnd series when a caller asks for an absurd window.
MAX_OCCURRENCES = 5000


def validate(rec: Any, start_local_date: dt.date) -> dict[str, Any]:
    """Check a patternedRecurrence the way Graph documents it; returns it normalised."""
    if (
        not isinstance(rec, dict)
        or not isinstance(rec.get("pattern"), dict)
        or not isinstance(rec.get("range"), dict)
    ):
        raise bad_request("Recurrence must have pattern and range.")
    pattern = dict(rec["pattern"])
    rng = dict(rec["range"])
    ptype = pattern.get("type")
    if ptype not in PATTERNS:
        raise bad_request(f"Recurrence pattern type '{ptype}' is not supported.")
    interval = pattern.get("interval")
    if not isinstance(interval, int) or interval < 1:
        raise bad_request("Recurrence pattern interval must be a positive integer.")
    days = pattern.get("daysOfWeek") or []
    if ptype in {"weekly", "relativeMonthly", "relativeYearly"} and not days:
        raise bad_request(f"Recurrence pattern '{ptype}' requires daysOfWeek.")
    if any(d not in DAYS for d in days):
        raise bad_request("daysOfWeek contains an invalid day.")
    if ptype in {"absoluteMonthly", "absoluteYearly"} and not isinstance(
        pattern.get("dayOfMonth"), int
    ):
        raise bad_request(f"Recurrence pattern '{ptype}' requires dayOfMonth.")
    if ptype in {"absoluteYearly", "relativeYearly"} and not isinstance(pattern.get("month"), int):
        raise bad_request(f"Recurrence pattern '{ptype}' requires month.")
    if pattern.get("index", "first") not in INDEXES:
        raise bad_request("Recurrence pattern index is invalid.")
    if pattern.get("firstDayOfWeek", "sunday") not in DAYS:
        raise bad_request("firstDayOfWeek is invalid.")
    rtype = rng.get("type")
    if rtype not in {"endDate", "noEnd", "numbered"}:
        raise bad_request("Recurrence range type is invalid.")
    try:
        range_start = dt.date.fromisoformat(str(rng.get("startDate")))
    except ValueError:
        raise bad_request("Recurrence range startDate is required.") from None
    if range_start != start_local_date:
        raise bad_request(
            "The start date of the recurrence range must match the date of the event start."
        )
    if rtype == "endDate":
        try:
            dt.date.fromisoformat(str(rng.get("endDate")))
        except ValueError:
            raise bad_request("Recurrence range endDate is required for type endDate.") from None
    if rtype == "numbered":
        n = rng.get("numberOfOccurrences")
        if not isinstance(n, int) or n < 1:
            raise bad_request("numberOfOccurrences must be positive for a numbered range.")
    defaults = {
        "daysOfWeek": [],
        "firstDayOfWeek": "sunday",
        "index": "first",
        "dayOfMonth": 0,
        "month": 0,
    }
    for key, value in defaults.items():
        pattern.setdefault(key, value)
    rng.setdefault("endDate", "0001-01-01")
    rng.setdefault("numberOfOccurrences", 0)
    rng.setdefault("recurrenceTimeZone", "")
    return {"pattern": pattern, "range": rng}


def _relative_day(year: int, month: int, days: list[str], index: str) -> dt.date | None:
    wanted = {DAYS.index(d) for d in days}
    last = calendar.monthrange(year, month)[1]
    matches = [
        dt.date(year, month, d)
        for d in range(1, last + 1)
        if dt.date(year, month, d).weekday() in wanted
    ]
    if not matches:
        return None
    if index == "last":
        return matches[-1]
    pos = INDEXES.index(index)
    return matches[pos] if pos < len(matches) else None


def _absolute_day(year: int, month: int, day: int) -> dt.date | None:
    if day > calendar.monthrange(year, month)[1]:
        return None  # e.g. the 31st in a 30-day month: Outlook skips that month
    return dt.date(year, month, day)


def _candidate_dates(pattern: dict[str, Any], first: dt.date) -> Iterator[dt.date]:
    """Dates matching the pattern from `first` on, in order (range limits applied by caller)."""
    ptype = pattern["type"]
    interval: int = pattern["interval"]
    if ptype == "daily":
        day = first
        while True:
            yield day
            day += dt.timedelta(days=interval)
    elif ptype == "weekly":
        fdow = DAYS.index(pattern["firstDayOfWeek"])
        week_start = first - dt.timedelta(days=(first.weekday() - fdow) % 7)
        offsets = sorted((DAYS.index(d) - fdow) % 7 for d in pattern["daysOfWeek"])
        while True:
            for off in offsets:
                day = week_start + dt.timedelta(days=off)
                if day >= first:
                    yield day
            week_start += dt.timedelta(weeks=interval)
    elif ptype in {"absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"}:
        yearly = ptype.endswith("Yearly")
        year, month = first.year, (pattern["month"] if yearly else first.month)
        if yearly and month < first.month:
            year += 1
        while True:
            if ptype.startswith("absolute"):
                day_opt = _absolute_day(year, month, pattern["dayOfMonth"])
            else:
                day_opt = _relative_day(year, month, pattern["daysOfWeek"], pattern["index"])
            if day_opt is not None and day_opt >= first:
                yield day_opt
            if yearly:
                year += interval
            else:
                month += interval
                year += (month - 1) // 12
                month = (month - 1) % 12 + 1
            if year > 9999:
                return


def occurrence_starts(
    recurrence: dict[str, Any],
    master_start: dt.datetime,
    start_zone: str,
    until: dt.datetime,
) -> Iterator[dt.datetime]:
    """UTC start instants of the series, in order, stopping at the first start >= `until`.

    Wall-clock time is kept in the recurrence zone, so a DST change keeps 10:00 at 10:00.
    """
    rng = recurrence["range"]
    tz = zone(rng.get("recurrenceTimeZone") or start_zone)
    local_start = master_start.astimezone(tz)
    first = dt.date.fromisoformat(rng["startDate"])
    end_date = dt.date.fromisoformat(rng["endDate"]) if rng["type"] == "endDate" else None
    limit = rng["numberOfOccurrences"] if rng["type"] == "numbered" else None
    for count, day in enumerate(_candidate_dates(recurrence["pattern"], first)):
        if end_date is not None and day > end_date:
            return
        if limit is not None and count >= limit:
            return
        if count >= MAX_OCCURRENCES:
            return
        start = dt.datetime.combine(day, local_start.timetz().replace(tzinfo=None)).replace(
            tzinfo=tz
        )
        start_utc = start.astimezone(dt.UTC)
        if start_utc >= until:
            return
        yield start_utc
