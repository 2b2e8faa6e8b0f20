"""Recurrence expansion agrees with python-dateutil's rrule for every supported rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

from kakehashi.contracts.event import Frequency, NormalizedEvent, Recurrence, Weekday
from kakehashi.engine import recurrence as rec
from kakehashi.engine import timezones
from tests.engine.strategies import rules

_DU_DAYS = [du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU]


def _to_rrule(rule: Recurrence, at: time) -> du.rrule:
    days = [_DU_DAYS[d.number] for d in rule.weekdays]
    kw: dict[str, Any] = {
        "dtstart": datetime.combine(rule.start_date, at),
        "interval": rule.interval,
        "wkst": du.SU,
    }
    if rule.count:
        kw["count"] = rule.count
    if rule.until:
        kw["until"] = datetime.combine(rule.until, time(23, 59, 59))
    f = rule.frequency
    if f == Frequency.DAILY:
        return du.rrule(du.DAILY, **kw)
    if f == Frequency.WEEKLY:
        return du.rrule(du.WEEKLY, byweekday=days, **kw)
    if f == Frequency.MONTHLY_DAY:
        return du.rrule(du.MONTHLY, bymonthday=rule.day_of_month, **kw)
    if f == Frequency.MONTHLY_WEEKDAY:
        return du.rrule(du.MONTHLY, byweekday=days, bysetpos=rule.week_of_month, **kw)
    if f == Frequency.YEARLY_DAY:
        return du.rrule(du.YEARLY, bymonth=rule.month, bymonthday=rule.day_of_month, **kw)
    return du.rrule(
        du.YEARLY, bymonth=rule.month, byweekday=days, bysetpos=rule.week_of_month, **kw
    )


@settings(max_examples=150, deadline=None)
@given(
    rules(),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Tokyo"]),
    st.sampled_from([time(0, 0), time(2, 30), time(9, 0), time(23, 30)]),
)
def test_expansion_matches_dateutil_across_dst(rule: Recurrence, tz: str, at: time) -> None:
    horizon = rule.start_date + timedelta(days=3 * 366)
    expected = list(
        _to_rrule(rule, at).between(
            datetime.combine(rule.start_date, time(0)),
            datetime.combine(horizon, time(23, 59)),
            inc=True,
        )
    )
    event = NormalizedEvent(
        start=timezones.localize(rule.start_date, at, tz),
        end=timezones.localize(rule.start_date, at, tz) + timedelta(hours=1),
        timezone=tz,
        recurrence=rule,
    )
    got = rec.expand(
        event,
        timezones.local_midnight(rule.start_date, tz),
        timezones.local_midnight(horizon + timedelta(days=1), tz),
    )
    # Same wall-clock slots; zoneinfo resolves the naive dateutil values the same way.
    assert [s.replace(tzinfo=None) for s, _ in got] == expected
    assert all((e - s) <= timedelta(hours=2) for s, e in got)


def test_end_of_month_and_day_31() -> None:
    eom = Recurrence(
        frequency=Frequency.MONTHLY_DAY, day_of_month=-1, start_date=date(2025, 1, 31), count=4
    )
    assert list(rec.rule_dates(eom, date(2026, 1, 1))) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]
    d31 = eom.model_copy(update={"day_of_month": 31})
    assert list(rec.rule_dates(d31, date(2026, 1, 1))) == [
        date(2025, 1, 31),
        date(2025, 3, 31),
        date(2025, 5, 31),
        date(2025, 7, 31),
    ]


def test_last_weekday_of_month() -> None:
    last_fri = Recurrence(
        frequency=Frequency.MONTHLY_WEEKDAY,
        weekdays=(Weekday.FR,),
        week_of_month=-1,
        start_date=date(2026, 1, 1),
        count=3,
    )
    assert list(rec.rule_dates(last_fri, date(2027, 1, 1))) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_wall_clock_kept_across_dst() -> None:
    rule = Recurrence(
        frequency=Frequency.WEEKLY, weekdays=(Weekday.SU,), start_date=date(2026, 3, 1), count=3
    )
    start = timezones.localize(date(2026, 3, 1), time(9), "America/New_York")
    ev = NormalizedEvent(
        start=start, end=start + timedelta(hours=1), timezone="America/New_York", recurrence=rule
    )
    got = rec.expand(ev, start - timedelta(days=1), start + timedelta(days=30))
    assert [s.hour for s, _ in got] == [9, 9, 9]
    assert next(s.utcoffset() for s, _ in got) != got[-1][0].utcoffset()


def test_garoon_expressibility() -> None:
    base = {"start_date": date(2026, 1, 5)}
    assert rec.garoon_repeat_type(Recurrence(frequency=Frequency.DAILY, **base)) == "EVERY_DAY"
    assert (
        rec.garoon_repeat_type(
            Recurrence(frequency=Frequency.WEEKLY, interval=4, weekdays=(Weekday.MO,), **base)
        )
        is None
    )
    assert (
        rec.garoon_repeat_type(
            Recurrence(frequency=Frequency.YEARLY_DAY, month=1, day_of_month=5, **base)
        )
        is None
    )
    assert (
        rec.garoon_repeat_type(
            Recurrence(
                frequency=Frequency.MONTHLY_WEEKDAY,
                weekdays=(Weekday.MO, Weekday.TU),
                week_of_month=1,
                **base,
            )
        )
        is None
    )
