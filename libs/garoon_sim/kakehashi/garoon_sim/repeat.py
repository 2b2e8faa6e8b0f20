"""Repeat expansion: which local dates a rule produces, and the occurrence datetimes.

Dates are computed in the event's IANA zone and wall-clock times are attached there, so an
occurrence keeps its local time across DST changes (zoneinfo picks the right offset).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import EOM, Event, Occurrence, RepeatRule, Settings

_NTH = {"1stweek": 1, "2ndweek": 2, "3rdweek": 3, "4thweek": 4}
_EVERY_N_WEEKS = {"once_every_two_weeks": 2, "once_every_three_weeks": 3}
ALL_DAY_END = time(23, 59, 59)


def garoon_weekday(d: date) -> int:
    """0 = Sunday .. 6 = Saturday, as SOAP `week` counts."""
    return (d.weekday() + 1) % 7


def _first_on_or_after(start: date, week: int) -> date:
    return start + timedelta(days=(week - garoon_weekday(start)) % 7)


def _matches(rule: RepeatRule, d: date, settings: Settings) -> bool:
    t = rule.type
    if t == "day":
        return True
    if t == "weekday":
        return d.weekday() < 5
    if t == "week":
        return garoon_weekday(d) == rule.week
    if t in _EVERY_N_WEEKS:
        if rule.week is None or garoon_weekday(d) != rule.week:
            return False
        # Anchor: the first matching weekday on or after the series start [unverified].
        anchor = _first_on_or_after(rule.start_date, rule.week)
        return ((d - anchor).days // 7) % _EVERY_N_WEEKS[t] == 0
    if t in _NTH:
        return garoon_weekday(d) == rule.week and (d.day - 1) // 7 + 1 == _NTH[t]
    if t == "lastweek":
        last = calendar.monthrange(d.year, d.month)[1]
        return garoon_weekday(d) == rule.week and d.day + 7 > last
    if t == "month":
        last = calendar.monthrange(d.year, d.month)[1]
        if rule.day == EOM:
            return d.day == last
        if rule.day is None:
            return False
        if rule.day > last:
            return settings.month_day_overflow == "clamp" and d.day == last
        return d.day == rule.day
    raise ValueError(f"unknown repeat type {t}")


def rule_dates(rule: RepeatRule, settings: Settings) -> Iterator[date]:
    """Every date the rule produces, exclusions not applied."""
    d = rule.start_date
    while d <= rule.end_date:
        if _matches(rule, d, settings):
            yield d
        d += timedelta(days=1)


def occurrence_span(rule: RepeatRule, tz: str, d: date) -> tuple[datetime, datetime | None]:
    zone = ZoneInfo(tz)
    if rule.start_time is None:
        return datetime.combine(d, time(0), zone), datetime.combine(d, ALL_DAY_END, zone)
    start = datetime.combine(d, rule.start_time, zone)
    if rule.end_time is None:
        return start, None
    end = datetime.combine(d, rule.end_time, zone)
    if end < start:  # an overnight slot ends the next day
        end = datetime.combine(d + timedelta(days=1), rule.end_time, zone)
    return start, end


def is_excluded(rule: RepeatRule, tz: str, d: date) -> bool:
    probe = datetime.combine(d, time(0), ZoneInfo(tz))
    return any(s <= probe < e for s, e in rule.exclusions)


def day_exclusion(tz: str, d: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    return datetime.combine(d, time(0), zone), datetime.combine(
        d + timedelta(days=1), time(0), zone
    )


def occurrences(event: Event, settings: Settings) -> list[Occurrence]:
    """The series' remaining occurrences (or the single event as one occurrence)."""
    rule = event.repeat
    if rule is None:
        return [Occurrence(event, event.start, event.end)]
    out = []
    for d in rule_dates(rule, settings):
        if is_excluded(rule, event.start_tz, d):
            continue
        start, end = occurrence_span(rule, event.start_tz, d)
        out.append(Occurrence(event, start, end))
    return out


def first_date(rule: RepeatRule, settings: Settings) -> date | None:
    return next(iter(rule_dates(rule, settings)), None)
