"""Events -> REST JSON (the schedule object of fact sheet §1.4)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .model import EOM, Event, Member, Occurrence, RepeatRule, Settings

if TYPE_CHECKING:
    from .simulator import GaroonSimulator

_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_REST_TYPES = {
    "day": "EVERY_DAY",
    "weekday": "EVERY_WEEKDAY",
    "week": "EVERY_WEEK",
    "1stweek": "EVERY_1STWEEK",
    "2ndweek": "EVERY_2NDWEEK",
    "3rdweek": "EVERY_3RDWEEK",
    "4thweek": "EVERY_4THWEEK",
    "lastweek": "EVERY_LASTWEEK",
    "month": "EVERY_MONTH",
}
PRIVATE_STUB_SUBJECT = "予定あり"


def utc_z(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def rest_repeat_type(rule: RepeatRule, settings: Settings) -> str:
    if rule.type == "once_every_two_weeks":
        return settings.rest_every_two_weeks
    if rule.type == "once_every_three_weeks":
        return settings.rest_every_three_weeks
    return _REST_TYPES[rule.type]


def repeat_info(ev: Event, settings: Settings) -> dict[str, Any]:
    rule = ev.repeat
    assert rule is not None
    info: dict[str, Any] = {
        "type": rest_repeat_type(rule, settings),
        "period": {"start": rule.start_date.isoformat(), "end": rule.end_date.isoformat()},
        "time": {
            "start": rule.start_time.isoformat() if rule.start_time else "",
            "end": rule.end_time.isoformat() if rule.end_time else "",
        },
        "timeZone": ev.start_tz,
        "isAllDay": rule.start_time is None,
        "isStartOnly": rule.start_time is not None and rule.end_time is None,
        "exclusiveDateTimes": [
            {"start": local_iso(s, ev.start_tz), "end": local_iso(e, ev.start_tz)}
            for s, e in sorted(rule.exclusions)
        ],
    }
    if rule.week is not None and rule.type not in ("day", "weekday", "month"):
        info["dayOfWeek"] = _WEEKDAYS[rule.week]
    if rule.type == "month":
        info["dayOfMonth"] = "EOM" if rule.day == EOM else str(rule.day)
    return info


def _member(sim: GaroonSimulator, m: Member) -> dict[str, Any]:
    if m.type == "USER":
        user = sim.users.get(m.id)
        code, name = (user.code, user.name) if user else ("", "")
    else:
        org = sim.organizations.get(m.id)
        code, name = (org.code, org.name) if org else ("", "")
    return {
        "id": str(m.id),
        "code": code,
        "name": name,
        "type": m.type,
        "attendanceResponse": {"status": m.status, "comment": m.comment},
    }


def _person(sim: GaroonSimulator, user_id: int) -> dict[str, str]:
    user = sim.users.get(user_id)
    return {
        "id": str(user_id),
        "code": user.code if user else "",
        "name": user.name if user else "",
    }


def render_event(sim: GaroonSimulator, ev: Event, occ: Occurrence | None = None) -> dict[str, Any]:
    start = occ.start if occ else ev.start
    end = occ.end if occ else ev.end
    body: dict[str, Any] = {
        "id": str(ev.id),
        "creator": _person(sim, ev.creator),
        "createdAt": utc_z(ev.created_at),
        "updater": _person(sim, ev.updater),
        "updatedAt": utc_z(ev.updated_at),
        "eventType": ev.event_type,
        "eventMenu": ev.menu,
        "subject": ev.subject,
        "notes": ev.notes,
        "visibilityType": ev.visibility,
        "useAttendanceCheck": ev.use_attendance_check,
        "companyInfo": dict(ev.company_info),
        "attachments": [],
        "start": {"dateTime": local_iso(start, ev.start_tz), "timeZone": ev.start_tz},
        "isAllDay": ev.is_all_day,
        "isStartOnly": ev.is_start_only,
        "originalStartTimeZone": ev.start_tz,
        "originalEndTimeZone": ev.end_tz,
        "attendees": [_member(sim, m) for m in ev.attendees],
        "attendeesCandidate": [],
        "watchers": [
            {k: v for k, v in _member(sim, w).items() if k != "attendanceResponse"}
            for w in ev.watchers
        ],
        "watchersCandidate": [],
        "facilities": [
            {"id": str(f), "code": sim.facilities[f].code, "name": sim.facilities[f].name}
            for f in ev.facilities
            if f in sim.facilities
        ],
        "facilitiesCandidate": [],
        "facilityUsingPurpose": ev.facility_using_purpose,
        "facilityReservationInfo": {},
        "facilityUsageRequests": [],
    }
    if end is not None:
        body["end"] = {"dateTime": local_iso(end, ev.end_tz), "timeZone": ev.end_tz}
    if ev.repeat is not None:
        body["repeatInfo"] = repeat_info(ev, sim.settings)
    return body


def render_private_stub(ev: Event, occ: Occurrence) -> dict[str, Any]:
    """What showPrivate=true returns for a private event the caller cannot read [unverified set]."""
    body: dict[str, Any] = {
        "id": str(ev.id),
        "eventType": ev.event_type,
        "subject": PRIVATE_STUB_SUBJECT,
        "visibilityType": "PRIVATE",
        "start": {"dateTime": local_iso(occ.start, ev.start_tz), "timeZone": ev.start_tz},
        "isAllDay": ev.is_all_day,
        "isStartOnly": ev.is_start_only,
    }
    if occ.end is not None:
        body["end"] = {"dateTime": local_iso(occ.end, ev.end_tz), "timeZone": ev.end_tz}
    return body
