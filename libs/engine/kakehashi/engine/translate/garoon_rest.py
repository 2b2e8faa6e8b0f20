"""Garoon REST schedule object (garoon-api.md §1.4, repeatInfo §2.1) <-> normalized event.

`to_garoon` returns the object as Garoon would hold it (read shape, including `creator`);
`garoon_write_body` keeps what POST/PATCH accept. Series whose rule Garoon cannot express
are written as single occurrences (`explode`), never dropped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from kakehashi.contracts.event import (
    CompanyInfo,
    Facility,
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Response,
    SourceVersions,
    Visibility,
    Weekday,
)
from kakehashi.engine import body, recurrence, timezones
from kakehashi.engine.translate.common import garoon_block, read_block
from kakehashi.engine.translate.context import TranslationContext

log = logging.getLogger("kakehashi.engine")
_DOW = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_RESP = {
    Response.NONE: "PENDING",
    Response.ACCEPTED: "ACCEPTED",
    Response.TENTATIVE: "PENDING",
    Response.DECLINED: "DECLINED",
}
_RESP_BACK = {
    "PENDING": Response.NONE,
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
}
_TYPES = {  # repeatInfo.type -> (frequency, interval, week_of_month)
    "EVERY_DAY": (Frequency.DAILY, 1, None),
    "EVERY_WEEKDAY": (Frequency.WEEKLY, 1, None),
    "EVERY_WEEK": (Frequency.WEEKLY, 1, None),
    # REST spellings of every 2/3 weeks are unverified (SOAP's are known): both candidates.
    "EVERY_2WEEKS": (Frequency.WEEKLY, 2, None),
    "EVERY_3WEEKS": (Frequency.WEEKLY, 3, None),
    "EVERY_TWO_WEEKS": (Frequency.WEEKLY, 2, None),  # the Garoon simulator's spelling
    "EVERY_THREE_WEEKS": (Frequency.WEEKLY, 3, None),
    "EVERY_1STWEEK": (Frequency.MONTHLY_WEEKDAY, 1, 1),
    "EVERY_2NDWEEK": (Frequency.MONTHLY_WEEKDAY, 1, 2),
    "EVERY_3RDWEEK": (Frequency.MONTHLY_WEEKDAY, 1, 3),
    "EVERY_4THWEEK": (Frequency.MONTHLY_WEEKDAY, 1, 4),
    "EVERY_LASTWEEK": (Frequency.MONTHLY_WEEKDAY, 1, -1),
    "EVERY_MONTH": (Frequency.MONTHLY_DAY, 1, None),
}
_READ_ONLY = {
    "id",
    "creator",
    "updater",
    "createdAt",
    "updatedAt",
    "repeatInfo",
    "originalStartTimeZone",
    "originalEndTimeZone",
}
ALL_DAY_END = time(23, 59, 59)


class Unexpressible(ValueError):
    """The rule has no Garoon repeat type; write occurrences instead (see `explode`)."""


def _stamp(moment: datetime, tz: str) -> dict[str, str]:
    local = moment.astimezone(timezones.zone(tz))
    return {"dateTime": local.isoformat(), "timeZone": tz}


def _repeat_info(ev: NormalizedEvent, rule: Recurrence) -> dict[str, Any]:
    kind = recurrence.garoon_repeat_type(rule)
    if kind is None:
        raise Unexpressible(f"Garoon has no repeat type for {rule.frequency}/{rule.interval}")
    assert ev.start is not None
    assert ev.end is not None
    tz = ev.timezone
    until = rule.until
    if until is None and rule.count is not None:
        # Garoon repeats by period only: a counted series ends on its last date.
        until = recurrence.last_date(rule, rule.start_date + timedelta(days=366 * 30))
    info: dict[str, Any] = {
        "type": kind,
        "period": {
            "start": rule.start_date.isoformat(),
            "end": until.isoformat() if until else None,
        },
        "timeZone": tz,
        "isAllDay": ev.all_day,
        "isStartOnly": False,
        "exclusiveDateTimes": [
            {
                "start": timezones.local_midnight(d, tz).isoformat(),
                "end": timezones.local_midnight(d + timedelta(days=1), tz).isoformat(),
            }
            for d in sorted({*rule.excluded, *rule.overridden})
        ],
    }
    if not ev.all_day:
        s, e = timezones.naive_local(ev.start, tz), timezones.naive_local(ev.end, tz)
        info["time"] = {"start": s.time().isoformat(), "end": e.time().isoformat()}
    if rule.weekdays and kind != "EVERY_WEEKDAY":
        info["dayOfWeek"] = _DOW[rule.weekdays[0].number]
    if kind == "EVERY_MONTH":
        info["dayOfMonth"] = "EOM" if rule.day_of_month == -1 else str(rule.day_of_month)
    return info


def unknown_rule(kind: object, start: date, until: date | None) -> Recurrence:
    """A repeat type we cannot read: an explicit UNKNOWN rule (logged), never a KeyError that
    would fail every read of the event and loop; the engine ignores such a series."""
    log.warning("unknown Garoon repeat type %r: the series is not synced", kind)
    return Recurrence(frequency=Frequency.UNKNOWN, start_date=start, until=until)


def _rule_from(info: dict[str, Any], tz: str) -> Recurrence:
    period = info.get("period") or {}
    if info.get("type") not in _TYPES:
        return unknown_rule(
            info.get("type"),
            date.fromisoformat(period["start"][:10]),
            date.fromisoformat(period["end"][:10]) if period.get("end") else None,
        )
    freq, interval, wom = _TYPES[info["type"]]
    days: tuple[Weekday, ...] = ()
    if info["type"] == "EVERY_WEEKDAY":
        days = recurrence.WORKWEEK
    elif info.get("dayOfWeek"):
        days = (list(Weekday)[_DOW.index(info["dayOfWeek"])],)
    dom = info.get("dayOfMonth")
    return Recurrence(
        frequency=freq,
        interval=interval,
        weekdays=days,
        week_of_month=wom,
        day_of_month=(-1 if dom == "EOM" else int(dom)) if dom else None,
        start_date=date.fromisoformat(period["start"][:10]),
        until=date.fromisoformat(period["end"][:10]) if period.get("end") else None,
        excluded=tuple(
            timezones.local_date(datetime.fromisoformat(x["start"]), tz)
            for x in info.get("exclusiveDateTimes") or []
        ),
    )


def _person_out(p: Person) -> dict[str, Any]:
    return {
        "type": "USER",
        "code": p.garoon_login,
        "name": p.name,
        "attendanceResponse": {"status": _RESP[p.response], "comment": p.comment},
    }


def to_garoon(ev: NormalizedEvent, ctx: TranslationContext) -> dict[str, Any]:
    assert ev.start is not None
    assert ev.end is not None
    tz = ev.timezone
    start, end = _stamp(ev.start, tz), _stamp(ev.end, tz)
    if ev.all_day:
        last = timezones.end_exclusive_date(ev.start, ev.end, tz) - timedelta(days=1)
        end = _stamp(timezones.localize(last, ALL_DAY_END, tz), tz)
    attendees = [_person_out(p) for p in ev.attendees if p.garoon_login]
    if ev.organizer and ev.organizer.garoon_login:
        attendees.insert(0, _person_out(ev.organizer))
    out: dict[str, Any] = {
        "eventType": "REPEATING" if ev.recurrence else "ALL_DAY" if ev.banner else "REGULAR",
        "eventMenu": ev.category,
        "subject": ev.title,
        "notes": body.render(ev.body, garoon_block(ev)),
        "visibilityType": "PRIVATE" if ev.visibility == Visibility.PRIVATE else "PUBLIC",
        "useAttendanceCheck": ev.attendance_check,
        "companyInfo": {
            "name": ev.company.name,
            "zipCode": ev.company.zip_code,
            "address": ev.location,
            "route": ev.company.route,
            "routeTime": ev.company.route_time,
            "routeFare": ev.company.route_fare,
            "phone": ev.company.phone,
        },
        "start": start,
        "end": end,
        "isAllDay": ev.all_day,
        "isStartOnly": False,
        "originalStartTimeZone": tz,
        "originalEndTimeZone": tz,
        "attendees": attendees,
        "facilities": [
            {"code": f.garoon_code, "name": f.name} for f in ev.facilities if f.garoon_code
        ],
    }
    if ev.organizer and ev.organizer.garoon_login:
        out["creator"] = {"code": ev.organizer.garoon_login, "name": ev.organizer.name}
    if ev.recurrence:
        out["repeatInfo"] = _repeat_info(ev, ev.recurrence)
    return out


def garoon_write_body(resource: dict[str, Any]) -> dict[str, Any]:
    """What REST POST/PATCH accept (people and facilities by code; no repeatInfo)."""
    out = {k: v for k, v in resource.items() if k not in _READ_ONLY}
    out["attendees"] = [{"type": a["type"], "code": a["code"]} for a in out["attendees"]]
    out["facilities"] = [{"code": f["code"]} for f in out["facilities"]]
    return out


def from_garoon(data: dict[str, Any], ctx: TranslationContext) -> NormalizedEvent:
    tz = timezones.to_iana((data.get("start") or {}).get("timeZone"), ctx.default_zone)
    start = datetime.fromisoformat(data["start"]["dateTime"]).astimezone(timezones.zone(tz))
    end_raw = (data.get("end") or data["start"])["dateTime"]
    end = datetime.fromisoformat(end_raw).astimezone(timezones.zone(tz))
    banner = data.get("eventType") == "ALL_DAY"
    all_day = banner or bool(data.get("isAllDay"))
    if all_day:
        last = timezones.end_exclusive_date(start, end, tz)
        start = timezones.local_midnight(timezones.local_date(start, tz), tz)
        end = timezones.local_midnight(last, tz)
    text, items = body.parse(data.get("notes") or "")
    block = read_block(items)
    creator = data.get("creator") or {}
    organizer = None
    if creator.get("code"):
        organizer = Person(
            garoon_login=creator["code"],
            name=creator.get("name") or "",
            email=ctx.email_for(creator["code"]),
        )
    people = list(block.people)
    for a in data.get("attendees") or []:
        if a.get("type", "USER") != "USER" or not a.get("code"):
            continue
        if organizer and a["code"] == organizer.garoon_login:
            continue
        answer = a.get("attendanceResponse") or {}
        status = answer.get("status", "PENDING")
        people.append(
            Person(
                garoon_login=a["code"],
                name=a.get("name") or "",
                email=ctx.email_for(a["code"]),
                response=_RESP_BACK.get(status, Response.NONE),
                comment=answer.get("comment") or "",
            )
        )
    facilities = list(block.facilities) + [
        Facility(
            garoon_code=f.get("code"),
            name=f.get("name") or "",
            room_email=ctx.room_for(f.get("code")),
        )
        for f in data.get("facilities") or []
    ]
    company = data.get("companyInfo") or {}
    updated = data.get("updatedAt")
    return NormalizedEvent(
        title=data.get("subject") or "",
        body=text,
        start=start,
        end=end,
        timezone=tz,
        all_day=all_day,
        banner=banner,
        visibility=Visibility.PUBLIC
        if data.get("visibilityType", "PUBLIC") == "PUBLIC"
        else Visibility.PRIVATE,
        category=data.get("eventMenu") or "",
        organizer=organizer,
        attendees=tuple(people),
        facilities=tuple(facilities),
        location=company.get("address") or "",
        company=CompanyInfo(
            name=company.get("name") or "",
            zip_code=company.get("zipCode") or "",
            route=company.get("route") or "",
            route_time=company.get("routeTime") or "",
            route_fare=company.get("routeFare") or "",
            phone=company.get("phone") or "",
        ),
        join_url=block.join_url,
        attendance_check=bool(data.get("useAttendanceCheck")),
        recurrence=_rule_from(data["repeatInfo"], tz) if data.get("repeatInfo") else None,
        versions=SourceVersions(
            garoon=updated,
            modified_at=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
        ),
    )


def explode(
    ev: NormalizedEvent, window_start: datetime, window_end: datetime
) -> list[NormalizedEvent]:
    """A series Garoon cannot express, as single events inside the window.

    Each keeps `original_start`, which links it to its series (the mapping's occurrence key).
    """
    out = []
    for s, e in recurrence.expand(ev, window_start, window_end):
        out.append(
            ev.model_copy(update={"recurrence": None, "start": s, "end": e, "original_start": s})
        )
    return out
