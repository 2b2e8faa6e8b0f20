"""Graph event JSON (graph-api.md §1) <-> normalized event.

`to_graph` returns the event resource as Graph would hold it; `graph_write_body` keeps the
fields a create/PATCH may send. Times are written as wall-clock in the event's Windows zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kakehashi.contracts.event import (
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
from kakehashi.engine import body, timezones
from kakehashi.engine.translate.common import graph_block, read_block
from kakehashi.engine.translate.context import TranslationContext

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_INDEX_BACK = {v: k for k, v in _INDEX.items()}
_RESP = {
    Response.NONE: "none",
    Response.ACCEPTED: "accepted",
    Response.TENTATIVE: "tentativelyAccepted",
    Response.DECLINED: "declined",
}
_RESP_BACK = {v: k for k, v in _RESP.items()}
_READ_ONLY = {
    "id",
    "iCalUId",
    "changeKey",
    "organizer",
    "onlineMeeting",
    "lastModifiedDateTime",
    "cancelledOccurrences",
    "exceptionOccurrences",
    "type",
    "seriesMasterId",
}
EOM = 31  # Outlook clamps day 31 to each month's last day: its "end of month"


def _wall(moment: datetime, tz: str) -> dict[str, str]:
    naive = timezones.naive_local(moment, tz)
    return {
        "dateTime": naive.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": timezones.to_windows(tz),
    }


def _read_wall(value: dict[str, Any], default_zone: str) -> tuple[datetime, str]:
    tz = timezones.to_iana(value.get("timeZone"), default_zone)
    raw = value["dateTime"].rstrip("Z")
    naive = datetime.fromisoformat(raw[:26] if "." in raw else raw)
    return naive.replace(tzinfo=timezones.zone(tz)), tz


def _recurrence_out(rule: Recurrence, tz: str) -> dict[str, Any]:
    pattern: dict[str, Any] = {"interval": rule.interval}
    f = rule.frequency
    days = [_DAYS[d.number] for d in rule.weekdays]
    if f == Frequency.DAILY:
        pattern["type"] = "daily"
    elif f == Frequency.WEEKLY:
        pattern.update(type="weekly", daysOfWeek=days, firstDayOfWeek="sunday")
    elif f in (Frequency.MONTHLY_DAY, Frequency.YEARLY_DAY):
        dom = EOM if rule.day_of_month == -1 else rule.day_of_month
        pattern.update(type="absoluteMonthly", dayOfMonth=dom)
        if f == Frequency.YEARLY_DAY:
            pattern.update(type="absoluteYearly", month=rule.month)
    else:
        pattern.update(
            type="relativeMonthly", daysOfWeek=days, index=_INDEX[rule.week_of_month or 1]
        )
        if f == Frequency.YEARLY_WEEKDAY:
            pattern.update(type="relativeYearly", month=rule.month)
    rng: dict[str, Any] = {
        "startDate": rule.start_date.isoformat(),
        "recurrenceTimeZone": timezones.to_windows(tz),
    }
    if rule.until:
        rng.update(type="endDate", endDate=rule.until.isoformat())
    elif rule.count:
        rng.update(type="numbered", numberOfOccurrences=rule.count)
    else:
        rng["type"] = "noEnd"
    return {"pattern": pattern, "range": rng}


def _recurrence_in(data: dict[str, Any], ev: dict[str, Any], zone: str) -> Recurrence:
    p, r = data["pattern"], data["range"]
    kind = p["type"]
    days = tuple(list(Weekday)[_DAYS.index(d.lower())] for d in p.get("daysOfWeek") or [])
    freq = {
        "daily": Frequency.DAILY,
        "weekly": Frequency.WEEKLY,
        "absoluteMonthly": Frequency.MONTHLY_DAY,
        "relativeMonthly": Frequency.MONTHLY_WEEKDAY,
        "absoluteYearly": Frequency.YEARLY_DAY,
        "relativeYearly": Frequency.YEARLY_WEEKDAY,
    }[kind]
    dom = p.get("dayOfMonth") if kind in ("absoluteMonthly", "absoluteYearly") else None
    if dom == EOM and kind == "absoluteMonthly":
        dom = -1
    relative = kind in ("relativeMonthly", "relativeYearly")
    return Recurrence(
        frequency=freq,
        interval=p.get("interval", 1),
        weekdays=days if (relative or kind == "weekly") else (),
        week_of_month=_INDEX_BACK[p.get("index") or "first"] if relative else None,
        day_of_month=dom,
        month=p.get("month") if kind.endswith("Yearly") else None,
        start_date=date.fromisoformat(r["startDate"]),
        until=date.fromisoformat(r["endDate"]) if r.get("type") == "endDate" else None,
        count=r.get("numberOfOccurrences") if r.get("type") == "numbered" else None,
        excluded=tuple(date.fromisoformat(s[-10:]) for s in ev.get("cancelledOccurrences") or []),
        overridden=tuple(
            _original_date(x["originalStart"], zone) for x in ev.get("exceptionOccurrences") or []
        ),
    )


def _original_date(value: str, tz: str) -> date:
    """The occurrence date an `originalStart` names, in the series' zone: Graph reports it in
    UTC, so a Tokyo 08:00 occurrence would otherwise land on the previous day."""
    if len(value) <= 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezones.zone("UTC"))
    return timezones.local_date(moment, tz)


def _series_times(ev: NormalizedEvent) -> tuple[datetime, datetime]:
    """Start and end of a series master on the rule's first date, at the event's wall times.

    Graph refuses a series whose recurrence range startDate is not the start's date in the
    event's zone; a Garoon series may be read through any of its occurrences, so its start can
    sit on a later date than the rule's."""
    assert ev.start is not None
    assert ev.end is not None
    assert ev.recurrence is not None
    tz = ev.timezone
    first = timezones.naive_local(ev.start, tz)
    length = timezones.naive_local(ev.end, tz) - first
    wall = datetime.combine(ev.recurrence.start_date, first.time())
    zone = timezones.zone(tz)
    return wall.replace(tzinfo=zone), (wall + length).replace(tzinfo=zone)


def _address(name: str, email: str) -> dict[str, str]:
    return {"name": name, "address": email}


def to_graph(ev: NormalizedEvent, ctx: TranslationContext) -> dict[str, Any]:
    tz = ev.timezone
    assert ev.start is not None
    assert ev.end is not None
    attendees: list[dict[str, Any]] = [
        {
            "type": "required",
            "emailAddress": _address(p.name, p.email),
            "status": {"response": _RESP[p.response]},
        }
        for p in ev.attendees
        if p.email
    ]
    attendees += [
        {
            "type": "resource",
            "emailAddress": _address(f.name, f.room_email),
            "status": {"response": "none"},
        }
        for f in ev.facilities
        if f.room_email
    ]
    start, end = _series_times(ev) if ev.recurrence else (ev.start, ev.end)
    out: dict[str, Any] = {
        "subject": ev.title,  # never "menu: title": the menu travels as a category
        "body": {
            "contentType": "html",
            "content": body.text_to_html(body.render(ev.body, graph_block(ev))),
        },
        "start": _wall(start, tz),
        "end": _wall(end, tz),
        "originalStartTimeZone": timezones.to_windows(tz),
        "originalEndTimeZone": timezones.to_windows(tz),
        "isAllDay": ev.all_day,
        "sensitivity": "private" if ev.visibility == Visibility.PRIVATE else "normal",
        "categories": [ctx.category_for(ev.category)] if ev.category else [],
        "location": {"displayName": ev.location},
        "responseRequested": ev.attendance_check,
        "attendees": attendees,
        "recurrence": _recurrence_out(ev.recurrence, tz) if ev.recurrence else None,
    }
    if ev.organizer and ev.organizer.email:
        out["organizer"] = {"emailAddress": _address(ev.organizer.name, ev.organizer.email)}
    if ev.join_url:
        out.update(
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
            onlineMeeting={"joinUrl": ev.join_url},
        )
    if ev.recurrence:
        out["cancelledOccurrences"] = [d.isoformat() for d in ev.recurrence.excluded]
        out["exceptionOccurrences"] = [
            {"originalStart": d.isoformat()} for d in ev.recurrence.overridden
        ]
    if ev.original_start:
        out["originalStart"] = ev.original_start.astimezone(timezones.zone("UTC")).isoformat()
    return out


def graph_write_body(resource: dict[str, Any]) -> dict[str, Any]:
    """The subset of `to_graph` output a POST/PATCH may send."""
    return {k: v for k, v in resource.items() if k not in _READ_ONLY}


def from_graph(data: dict[str, Any], ctx: TranslationContext) -> NormalizedEvent:
    content = (data.get("body") or {}).get("content") or ""
    is_html = (data.get("body") or {}).get("contentType", "html").lower() == "html"
    text = body.html_to_text(content) if is_html else body.normalize_text(content)
    text, items = body.parse(body.strip_teams_blob(text))
    block = read_block(items)
    start, start_tz = _read_wall(data["start"], ctx.default_zone)
    end, _ = _read_wall(data["end"], ctx.default_zone)
    tz = timezones.to_iana(data.get("originalStartTimeZone"), start_tz)
    start, end = start.astimezone(timezones.zone(tz)), end.astimezone(timezones.zone(tz))
    all_day = bool(data.get("isAllDay"))
    organizer = None
    org_mail = (data.get("organizer") or {}).get("emailAddress") or {}
    if org_mail.get("address"):
        organizer = Person(
            email=org_mail["address"],
            name=org_mail.get("name") or "",
            garoon_login=ctx.login_for(org_mail["address"]),
        )
    people, facilities = list(block.people), list(block.facilities)
    invited = False
    for a in data.get("attendees") or []:
        mail = a.get("emailAddress") or {}
        address = (mail.get("address") or "").lower()
        if not address or (organizer and address == organizer.email):
            continue
        if a.get("type") == "resource" or ctx.facility_for(address):
            facilities.append(
                Facility(
                    room_email=address,
                    name=mail.get("name") or "",
                    garoon_code=ctx.facility_for(address),
                )
            )
            continue
        invited = True
        response = _RESP_BACK.get((a.get("status") or {}).get("response", "none"), Response.NONE)
        people.append(
            Person(
                email=address,
                name=mail.get("name") or "",
                response=response,
                garoon_login=ctx.login_for(address),
            )
        )
    categories = data.get("categories") or []
    modified = data.get("lastModifiedDateTime")
    original = data.get("originalStart")
    return NormalizedEvent(
        title=data.get("subject") or "",
        body=text,
        start=start,
        end=end,
        timezone=tz,
        all_day=all_day,
        banner=all_day and (end - start) > timedelta(days=1, hours=1),
        visibility=Visibility.PRIVATE
        if data.get("sensitivity") == "private"
        else Visibility.PUBLIC,
        category=ctx.menu_for(categories[0]) if categories else "",
        organizer=organizer,
        attendees=tuple(people),
        facilities=tuple(facilities),
        location=(data.get("location") or {}).get("displayName") or "",
        company=block.company,
        join_url=(data.get("onlineMeeting") or {}).get("joinUrl") or None,
        # Graph asks for responses by default (true when absent); without anyone invited
        # nobody can answer, so such an appointment is no attendance check.
        attendance_check=invited and bool(data.get("responseRequested", True)),
        recurrence=_recurrence_in(data["recurrence"], data, tz) if data.get("recurrence") else None,
        original_start=datetime.fromisoformat(original.replace("Z", "+00:00"))
        if original
        else None,
        versions=SourceVersions(
            graph=data.get("changeKey"),
            modified_at=datetime.fromisoformat(modified.replace("Z", "+00:00"))
            if modified
            else None,
        ),
    )
