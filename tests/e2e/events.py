"""Event bodies a person would enter: Garoon REST shape for Garoon's screen, Graph shape for
Outlook. Times are Tokyo wall-clock slots from today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.e2e.harness import garoon_time, outlook_time, slot

SATO, SATO_MAIL = "sato", "sato@contoso.example"
SUZUKI, SUZUKI_MAIL = "suzuki", "suzuki@contoso.example"
TAKAHASHI, TAKAHASHI_MAIL = "takahashi", "takahashi@contoso.example"


def garoon_event(
    subject: str, *logins: str, days: int = 1, hour: int = 10, **extra: Any
) -> dict[str, Any]:
    start, end = slot(days, hour)
    body: dict[str, Any] = {
        "eventType": "REGULAR",
        "subject": subject,
        "start": garoon_time(start),
        "end": garoon_time(end),
        "attendees": [{"type": "USER", "code": login} for login in (logins or (SATO,))],
    }
    return body | extra


def outlook_event(
    subject: str, *attendees: str, days: int = 1, hour: int = 10, **extra: Any
) -> dict[str, Any]:
    start, end = slot(days, hour)
    body: dict[str, Any] = {
        "subject": subject,
        "start": outlook_time(start),
        "end": outlook_time(end),
    }
    if attendees:
        body["attendees"] = [
            {"type": "required", "emailAddress": {"address": a}} for a in attendees
        ]
    return body | extra


def day(days: int) -> date:
    return slot(days)[0].date()


def garoon_all_day(subject: str, first: int, last: int, *, banner: bool) -> dict[str, Any]:
    """`banner`: a multi-day 期間予定 (eventType ALL_DAY); else a regular event with isAllDay."""
    start, _ = slot(first, 0)
    end, _ = slot(last, 23)
    end = end.replace(minute=59, second=59)
    return {
        "eventType": "ALL_DAY" if banner else "REGULAR",
        "isAllDay": not banner,
        "subject": subject,
        "start": garoon_time(start),
        "end": garoon_time(end),
        "attendees": [{"type": "USER", "code": SATO}],
    }


def outlook_all_day(subject: str, first: int, days: int) -> dict[str, Any]:
    """End-exclusive midnight dates, as Outlook stores all-day events."""
    start = day(first)
    end = start + timedelta(days=days)
    return {
        "subject": subject,
        "isAllDay": True,
        "start": {"dateTime": f"{start.isoformat()}T00:00:00", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": f"{end.isoformat()}T00:00:00", "timeZone": "Tokyo Standard Time"},
    }
