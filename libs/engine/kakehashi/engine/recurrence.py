"""Repeat rules: expansion to occurrences, and what Garoon can express.

Semantics follow RFC 5545 as python-dateutil implements it (the tests compare): weeks start
on Sunday (Graph's default firstDayOfWeek); day N skips months without day N (-1 = end of
month); a relative rule with several weekdays picks the nth matching day (Graph's "first
matching day wins", RRULE BYSETPOS); excluded dates do not shorten a counted series.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from kakehashi.contracts.event import Frequency, NormalizedEvent, Recurrence, Weekday
from kakehashi.engine import timezones

_MAX_PERIODS = 20_000  # a safety stop; 100 years of weeks is well under it
WORKWEEK = (Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR)


def _sunday_offset(day: Weekday) -> int:
    return (day.number + 1) % 7


def _month_days(year: int, month: int, rule: Recurrence) -> list[date]:
    last = calendar.monthrange(year, month)[1]
    if rule.frequency in (Frequency.MONTHLY_DAY, Frequency.YEARLY_DAY):
        n = rule.day_of_month or rule.start_date.day
        if n == -1:
            return [date(year, month, last)]
        return [date(year, month, n)] if n <= last else []
    wanted = {d.number for d in rule.weekdays}
    days = [date(year, month, d) for d in range(1, last + 1)]
    matching = [d for d in days if d.weekday() in wanted]
    pos = rule.week_of_month or 1
    if pos == -1:
        return matching[-1:]
    return [matching[pos - 1]] if len(matching) >= pos else []


def _periods(rule: Recurrence) -> Iterator[list[date]]:
    """Candidate dates period by period (day, week, month or year), in order."""
    s = rule.start_date
    step = rule.interval
    if rule.frequency == Frequency.UNKNOWN:
        return  # a rule we cannot read has no dates we could vouch for
    if rule.frequency == Frequency.DAILY:
        for p in range(_MAX_PERIODS * 7):
            yield [s + timedelta(days=p * step)]
    elif rule.frequency == Frequency.WEEKLY:
        week0 = s - timedelta(days=(s.weekday() + 1) % 7)
        days = sorted(_sunday_offset(d) for d in (rule.weekdays or (_weekday_of(s),)))
        for p in range(_MAX_PERIODS):
            first = week0 + timedelta(days=7 * step * p)
            yield [first + timedelta(days=o) for o in days]
    elif rule.frequency in (Frequency.MONTHLY_DAY, Frequency.MONTHLY_WEEKDAY):
        m0 = s.year * 12 + s.month - 1
        for p in range(_MAX_PERIODS):
            m = m0 + p * step
            yield _month_days(m // 12, m % 12 + 1, rule)
    else:
        month = rule.month or s.month
        for p in range(_MAX_PERIODS // 12):
            yield _month_days(s.year + p * step, month, rule)


def _weekday_of(day: date) -> Weekday:
    return list(Weekday)[day.weekday()]


def rule_dates(rule: Recurrence, through: date) -> Iterator[date]:
    """Every date the rule produces up to `through` (inclusive), before exclusions."""
    seen = 0
    for candidates in _periods(rule):
        for d in candidates:
            if d < rule.start_date:
                continue
            if (rule.until and d > rule.until) or d > through:
                return
            if rule.count is not None and seen >= rule.count:
                return
            seen += 1
            yield d
        if candidates and candidates[0] > through:
            return


def occurrence_dates(rule: Recurrence, start: date, end: date) -> list[date]:
    """Occurrence dates within [start, end], without excluded dates."""
    excluded = set(rule.excluded)
    return [d for d in rule_dates(rule, end) if d >= start and d not in excluded]


def last_date(rule: Recurrence, horizon: date) -> date | None:
    """The series' last date (up to horizon), e.g. to turn a count into an until."""
    last = None
    for d in rule_dates(rule, horizon):
        last = d
    return last


def expand(
    event: NormalizedEvent, window_start: datetime, window_end: datetime
) -> list[tuple[datetime, datetime]]:
    """(start, end) of each occurrence overlapping the window, in the event's zone.

    Occurrences keep their wall-clock start and duration across DST changes.
    """
    rule = event.recurrence
    if rule is None or event.start is None or event.end is None:
        return []
    tz = event.timezone
    first_s = timezones.naive_local(event.start, tz)
    length = timezones.naive_local(event.end, tz) - first_s
    lo = timezones.local_date(window_start, tz) - timedelta(days=max(length.days, 0) + 1)
    hi = timezones.local_date(window_end, tz)
    out = []
    for d in occurrence_dates(rule, lo, hi):
        wall = datetime.combine(d, first_s.time())
        s = wall.replace(tzinfo=timezones.zone(tz))
        e = (wall + length).replace(tzinfo=timezones.zone(tz))
        if e > window_start and s < window_end:
            out.append((s, e))
    return out


def garoon_repeat_type(rule: Recurrence) -> str | None:
    """The Garoon REST repeatInfo.type expressing this rule, or None if Garoon cannot."""
    if rule.frequency == Frequency.DAILY and rule.interval == 1:
        return "EVERY_DAY"
    if rule.frequency == Frequency.WEEKLY:
        if rule.interval == 1 and rule.weekdays == WORKWEEK:
            return "EVERY_WEEKDAY"
        if len(rule.weekdays) == 1:
            return {1: "EVERY_WEEK", 2: "EVERY_2WEEKS", 3: "EVERY_3WEEKS"}.get(rule.interval)
        return None
    if rule.interval != 1:
        return None
    if rule.frequency == Frequency.MONTHLY_DAY and rule.day_of_month is not None:
        return "EVERY_MONTH"
    if rule.frequency == Frequency.MONTHLY_WEEKDAY and len(rule.weekdays) == 1:
        return {
            1: "EVERY_1STWEEK",
            2: "EVERY_2NDWEEK",
            3: "EVERY_3RDWEEK",
            4: "EVERY_4THWEEK",
            -1: "EVERY_LASTWEEK",
        }.get(rule.week_of_month or 0)
    return None
