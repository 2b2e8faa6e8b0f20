"""Repeat conditions (SOAP `repeat_info/condition` attributes) -> RepeatRule and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time, timedelta

from .errors import bad_param
from .model import EOM, REPEAT_TYPES, RepeatRule, Settings

_NEEDS_WEEK = {
    "week",
    "once_every_two_weeks",
    "once_every_three_weeks",
    "1stweek",
    "2ndweek",
    "3rdweek",
    "4thweek",
    "lastweek",
}


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise bad_param(name) from exc


def _time(value: str | None, name: str) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise bad_param(name) from exc


def build_rule(attrs: Mapping[str, str | None], settings: Settings) -> RepeatRule:
    # The 2/3-weekly casing is unverified (a Cybozu sample parses it case-insensitively).
    kind = (attrs.get("type") or "").lower()
    if kind not in REPEAT_TYPES:
        raise bad_param("condition.type", f"Unknown repeat type {attrs.get('type')!r}.")
    start = _date(attrs.get("start_date"), "start_date")
    if start is None:
        raise bad_param("start_date", "start_date is required.")
    end = _date(attrs.get("end_date"), "end_date") or start + timedelta(
        days=settings.repeat_default_days
    )
    if end < start:
        raise bad_param("end_date", "end_date is before start_date.")
    rule = RepeatRule(
        kind,
        start,
        end,
        _time(attrs.get("start_time"), "start_time"),
        _time(attrs.get("end_time"), "end_time"),
    )
    if rule.start_time is None and rule.end_time is not None:
        raise bad_param("start_time", "end_time needs a start_time.")
    if kind in _NEEDS_WEEK:
        week = attrs.get("week")
        if week is None or not week.isdigit() or not 0 <= int(week) <= 6:
            raise bad_param("week", "week must be 0 (Sunday) .. 6 (Saturday).")
        rule.week = int(week)
    if kind == "month":
        day = attrs.get("day")
        if day is None or not day.lstrip("-").isdigit():
            raise bad_param("day", "day is required for a monthly repeat.")
        n = int(day)
        if n == settings.soap_eom_day:
            rule.day = EOM
        elif 1 <= n <= 31:
            rule.day = n
        else:
            raise bad_param("day", "day must be 1..31 or the end-of-month value.")
    return rule


def rule_attrs(rule: RepeatRule, settings: Settings) -> dict[str, str]:
    out = {
        "type": rule.type,
        "start_date": rule.start_date.isoformat(),
        "end_date": rule.end_date.isoformat(),
    }
    if rule.start_time is not None:
        out["start_time"] = rule.start_time.isoformat()
    if rule.end_time is not None:
        out["end_time"] = rule.end_time.isoformat()
    if rule.week is not None:
        out["week"] = str(rule.week)
    if rule.day is not None:
        out["day"] = str(settings.soap_eom_day if rule.day == EOM else rule.day)
    return out
