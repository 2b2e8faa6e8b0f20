"""Garoon SOAP `schedule_event` (as parsed dicts, not XML) <-> normalized event.

SOAP is how repeating events are created and how single occurrences are edited or removed
(garoon-api.md §1.5, §2.3). Attribute names are kept as the WSDL spells them; members carry
`code` (login / facility code) when the connector has resolved the numeric ids.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from kakehashi.contracts.event import (
    CompanyInfo,
    Facility,
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Visibility,
    Weekday,
)
from kakehashi.engine import body, recurrence, timezones
from kakehashi.engine.translate.common import garoon_block, read_block
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.engine.translate.garoon_rest import ALL_DAY_END, Unexpressible, unknown_rule

_TYPES = {  # condition@type -> (frequency, interval, week_of_month)
    "day": (Frequency.DAILY, 1, None),
    "weekday": (Frequency.WEEKLY, 1, None),
    "week": (Frequency.WEEKLY, 1, None),
    "once_every_two_weeks": (Frequency.WEEKLY, 2, None),
    "once_every_three_weeks": (Frequency.WEEKLY, 3, None),
    "1stweek": (Frequency.MONTHLY_WEEKDAY, 1, 1),
    "2ndweek": (Frequency.MONTHLY_WEEKDAY, 1, 2),
    "3rdweek": (Frequency.MONTHLY_WEEKDAY, 1, 3),
    "4thweek": (Frequency.MONTHLY_WEEKDAY, 1, 4),
    "lastweek": (Frequency.MONTHLY_WEEKDAY, 1, -1),
    "month": (Frequency.MONTHLY_DAY, 1, None),
}
_REST_TO_SOAP = {
    "EVERY_DAY": "day",
    "EVERY_WEEKDAY": "weekday",
    "EVERY_WEEK": "week",
    "EVERY_2WEEKS": "once_every_two_weeks",
    "EVERY_3WEEKS": "once_every_three_weeks",
    "EVERY_1STWEEK": "1stweek",
    "EVERY_2NDWEEK": "2ndweek",
    "EVERY_3RDWEEK": "3rdweek",
    "EVERY_4THWEEK": "4thweek",
    "EVERY_LASTWEEK": "lastweek",
    "EVERY_MONTH": "month",
}
EOM_DAY = "0"  # believed to mean end of month (garoon-api.md §2.2, unverified)


def _sunday0(day: Weekday) -> str:
    return str((day.number + 1) % 7)  # SOAP week: 0 = Sunday


def _weekday(value: str) -> Weekday:
    return list(Weekday)[(int(value) + 6) % 7]


def repeat_info(ev: NormalizedEvent) -> dict[str, Any]:
    """`repeat_info` for ScheduleAddEvents / ScheduleModifyRepeatEvents."""
    rule = ev.recurrence
    assert rule is not None
    assert ev.start is not None
    assert ev.end is not None
    kind = recurrence.garoon_repeat_type(rule)
    if kind is None:
        raise Unexpressible(f"Garoon has no repeat type for {rule.frequency}/{rule.interval}")
    tz = ev.timezone
    until = rule.until
    if until is None and rule.count is not None:
        until = recurrence.last_date(rule, rule.start_date + timedelta(days=366 * 30))
    cond: dict[str, Any] = {"type": _REST_TO_SOAP[kind], "start_date": rule.start_date.isoformat()}
    if until:
        cond["end_date"] = until.isoformat()
    if not ev.all_day:
        s, e = timezones.naive_local(ev.start, tz), timezones.naive_local(ev.end, tz)
        cond.update(start_time=s.time().isoformat(), end_time=e.time().isoformat())
    if rule.weekdays and kind != "EVERY_WEEKDAY":
        cond["week"] = _sunday0(rule.weekdays[0])
    if kind == "EVERY_MONTH":
        cond["day"] = EOM_DAY if rule.day_of_month == -1 else str(rule.day_of_month)
    return {
        "condition": cond,
        "exclusive_datetimes": [
            {
                "start": timezones.local_midnight(d, tz).isoformat(),
                "end": timezones.local_midnight(d + timedelta(days=1), tz).isoformat(),
            }
            for d in sorted({*rule.excluded, *rule.overridden})
        ],
    }


def recurrence_from(info: dict[str, Any], tz: str) -> Recurrence:
    cond = info["condition"]
    if str(cond.get("type", "")).lower() not in _TYPES:
        return unknown_rule(
            cond.get("type"),
            date.fromisoformat(cond["start_date"]),
            date.fromisoformat(cond["end_date"]) if cond.get("end_date") else None,
        )
    freq, interval, wom = _TYPES[cond["type"].lower()]
    days: tuple[Weekday, ...] = ()
    if cond["type"].lower() == "weekday":
        days = recurrence.WORKWEEK
    elif cond.get("week") not in (None, ""):
        days = (_weekday(cond["week"]),)
    dom = cond.get("day")
    return Recurrence(
        frequency=freq,
        interval=interval,
        weekdays=days,
        week_of_month=wom,
        day_of_month=(-1 if dom == EOM_DAY else int(dom)) if dom not in (None, "") else None,
        start_date=date.fromisoformat(cond["start_date"]),
        until=date.fromisoformat(cond["end_date"]) if cond.get("end_date") else None,
        excluded=tuple(
            timezones.local_date(datetime.fromisoformat(x["start"]), tz)
            for x in info.get("exclusive_datetimes") or []
        ),
    )


def to_soap(ev: NormalizedEvent, ctx: TranslationContext) -> dict[str, Any]:
    assert ev.start is not None
    assert ev.end is not None
    tz = ev.timezone
    members: list[dict[str, Any]] = [
        {"user": {"code": p.garoon_login, "name": p.name}} for p in ev.attendees if p.garoon_login
    ]
    members += [
        {"facility": {"code": f.garoon_code, "name": f.name}}
        for f in ev.facilities
        if f.garoon_code
    ]
    out: dict[str, Any] = {
        "id": "dummy",  # placeholders ScheduleAddEvents requires
        "version": "-1",
        "event_type": "repeat" if ev.recurrence else "banner" if ev.banner else "normal",
        "public_type": "private" if ev.visibility == Visibility.PRIVATE else "public",
        "plan": ev.category,
        "detail": ev.title,
        "description": body.render(ev.body, garoon_block(ev)),
        "timezone": tz,
        "end_timezone": tz,
        "allday": "true" if ev.all_day else "false",
        "start_only": "false",
        "members": members,
        "customer": {
            "name": ev.company.name,
            "zipcode": ev.company.zip_code,
            "address": ev.location,
            "route": ev.company.route,
            "route_time": ev.company.route_time,
            "route_fare": ev.company.route_fare,
            "phone": ev.company.phone,
        },
    }
    if ev.recurrence:
        out["repeat_info"] = repeat_info(ev)
    elif ev.banner:
        last = timezones.end_exclusive_date(ev.start, ev.end, tz) - timedelta(days=1)
        start_day = timezones.local_date(ev.start, tz)
        out["when"] = {"date": [{"start": start_day.isoformat(), "end": last.isoformat()}]}
    else:
        end = ev.end
        if ev.all_day:
            last = timezones.end_exclusive_date(ev.start, ev.end, tz) - timedelta(days=1)
            end = timezones.localize(last, ALL_DAY_END, tz)
        out["when"] = {"datetime": [{"start": _utc(ev.start), "end": _utc(end)}]}
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezones.zone("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def _times(data: dict[str, Any], tz: str) -> tuple[datetime, datetime]:
    info = data.get("repeat_info")
    if info:
        cond = info["condition"]
        day = date.fromisoformat(cond["start_date"])
        at = time.fromisoformat(cond.get("start_time") or "00:00:00")
        until = time.fromisoformat(cond.get("end_time") or "00:00:00")
        start = timezones.localize(day, at, tz)
        if not cond.get("start_time"):
            return start, timezones.local_midnight(day + timedelta(days=1), tz)
        # Condition times are a daily slot: an end before the start is the next day.
        end_day = day + timedelta(days=1) if until < at else day
        return start, timezones.localize(end_day, until, tz)
    when = data.get("when") or {}
    if when.get("date"):
        span = when["date"][0]
        first, last = date.fromisoformat(span["start"]), date.fromisoformat(span["end"])
        return timezones.local_midnight(first, tz), timezones.local_midnight(
            last + timedelta(days=1), tz
        )
    span = when["datetime"][0]
    zone = timezones.zone(tz)
    start = datetime.fromisoformat(span["start"].replace("Z", "+00:00")).astimezone(zone)
    end = datetime.fromisoformat(span["end"].replace("Z", "+00:00")).astimezone(zone)
    if data.get("allday") == "true":
        end = timezones.local_midnight(timezones.end_exclusive_date(start, end, tz), tz)
    return start, end


def from_soap(data: dict[str, Any], ctx: TranslationContext) -> NormalizedEvent:
    tz = timezones.to_iana(data.get("timezone"), ctx.default_zone)
    start, end = _times(data, tz)
    text, items = body.parse(data.get("description") or "")
    block = read_block(items)
    people = list(block.people)
    facilities = list(block.facilities)
    for m in data.get("members") or []:
        if "user" in m and m["user"].get("code"):
            code = m["user"]["code"]
            people.append(
                Person(
                    garoon_login=code, name=m["user"].get("name") or "", email=ctx.email_for(code)
                )
            )
        elif "facility" in m and m["facility"].get("code"):
            code = m["facility"]["code"]
            facilities.append(
                Facility(
                    garoon_code=code,
                    name=m["facility"].get("name") or "",
                    room_email=ctx.room_for(code),
                )
            )
    cust = data.get("customer") or {}
    return NormalizedEvent(
        title=data.get("detail") or "",
        body=text,
        start=start,
        end=end,
        timezone=tz,
        all_day=data.get("allday") == "true" or data.get("event_type") == "banner",
        banner=data.get("event_type") == "banner",
        visibility=Visibility.PRIVATE
        if data.get("public_type") == "private"
        else Visibility.PUBLIC,
        category=data.get("plan") or "",
        attendees=tuple(people),
        facilities=tuple(facilities),
        location=cust.get("address") or "",
        company=CompanyInfo(
            name=cust.get("name") or "",
            zip_code=cust.get("zipcode") or "",
            route=cust.get("route") or "",
            route_time=cust.get("route_time") or "",
            route_fare=cust.get("route_fare") or "",
            phone=cust.get("phone") or "",
        ),
        join_url=block.join_url,
        recurrence=recurrence_from(data["repeat_info"], tz) if data.get("repeat_info") else None,
    )
