"""Event records -> Graph JSON (what a GET returns), including occurrence views."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .model import Event, Instance
from .timeutil import out_dtz, utc_stamp, windows_name

OCC_SEP = "_"
_KEY_FORMAT = "%Y%m%dT%H%M%SZ"
_ICAL_PREFIX = "040000008200E00074C5B7101A82E008"


def occurrence_key(start: dt.datetime) -> str:
    return start.astimezone(dt.UTC).strftime(_KEY_FORMAT)


def key_time(key: str) -> dt.datetime:
    return dt.datetime.strptime(key, _KEY_FORMAT).replace(tzinfo=dt.UTC)


def occurrence_id(master_id: str, key: str) -> str:
    return f"{master_id}{OCC_SEP}{key}"


def split_occurrence_id(event_id: str) -> tuple[str, str] | None:
    master, sep, key = event_id.rpartition(OCC_SEP)
    if not sep or not re.fullmatch(r"\d{8}T\d{6}Z", key):
        return None
    return master, key


def new_ical_uid(seed: str) -> str:
    # Outlook's global object id: fixed class id, 4 zero bytes for the instance date (masters
    # and single events), then a unique tail.
    return _ICAL_PREFIX + "00000000" + seed[:48].upper().ljust(48, "0")


def occurrence_ical_uid(master_uid: str, key: str) -> str:
    """Occurrences carry the instance date (yyyy mm dd) in bytes 16..19, like Outlook."""
    when = key_time(key)
    date_hex = f"{when.year:04X}{when.month:02X}{when.day:02X}"
    if master_uid.startswith(_ICAL_PREFIX):
        return _ICAL_PREFIX + date_hex + master_uid[len(_ICAL_PREFIX) + 8 :]
    return f"{master_uid}-{key}"


def etag(change_key: str) -> str:
    return f'W/"{change_key}"'


def _base(ev: Event, tz: str | None) -> dict[str, Any]:
    p = ev.props
    body = p.get("body") or {"contentType": "text", "content": ""}
    preview = re.sub(r"<[^>]+>", " ", str(body.get("content", "")))
    preview = re.sub(r"\s+", " ", preview).strip()[:255]
    out: dict[str, Any] = {
        "@odata.etag": etag(ev.change_key),
        "id": ev.id,
        "createdDateTime": utc_stamp(ev.created),
        "lastModifiedDateTime": utc_stamp(ev.modified),
        "changeKey": ev.change_key,
        "categories": list(p.get("categories", [])),
    }
    if ev.transaction_id is not None:
        out["transactionId"] = ev.transaction_id
    out.update(
        {
            "originalStartTimeZone": windows_name(ev.start_tz),
            "originalEndTimeZone": windows_name(ev.end_tz),
            "iCalUId": ev.ical_uid,
            "reminderMinutesBeforeStart": p.get("reminderMinutesBeforeStart", 15),
            "isReminderOn": p.get("isReminderOn", True),
            "hasAttachments": False,
            "subject": p.get("subject", ""),
            "bodyPreview": preview,
            "importance": p.get("importance", "normal"),
            "sensitivity": p.get("sensitivity", "normal"),
            "isAllDay": p.get("isAllDay", False),
            "isCancelled": p.get("isCancelled", False),
            "isOrganizer": ev.is_organizer,
            "responseRequested": p.get("responseRequested", True),
            "seriesMasterId": None,
            "showAs": p.get("showAs", "busy"),
            "type": "seriesMaster" if ev.is_series else "singleInstance",
            "webLink": f"https://outlook.office365.com/owa/?itemid={ev.id}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": p.get("isOnlineMeeting", False),
            "onlineMeetingProvider": p.get("onlineMeetingProvider", "unknown"),
            "allowNewTimeProposals": p.get("allowNewTimeProposals", True),
            "isDraft": False,
            "hideAttendees": p.get("hideAttendees", False),
            "responseStatus": dict(
                p.get("responseStatus") or {"response": "organizer", "time": "0001-01-01T00:00:00Z"}
            ),
            "body": dict(body),
            "start": out_dtz(ev.start, tz),
            "end": out_dtz(ev.end, tz),
            "location": dict(p.get("location") or _empty_location()),
            "locations": [dict(x) for x in p.get("locations", [])],
            "recurrence": p.get("recurrence"),
            "attendees": [_copy_attendee(a) for a in p.get("attendees", [])],
            "organizer": p.get("organizer"),
            "onlineMeeting": p.get("onlineMeeting"),
        }
    )
    return out


def _empty_location() -> dict[str, Any]:
    return {
        "displayName": "",
        "locationType": "default",
        "uniqueIdType": "unknown",
        "address": {},
        "coordinates": {},
    }


def _copy_attendee(a: dict[str, Any]) -> dict[str, Any]:
    return {"type": a["type"], "status": dict(a["status"]), "emailAddress": dict(a["emailAddress"])}


def render_event(ev: Event, tz: str | None) -> dict[str, Any]:
    return _base(ev, tz)


def render_instance(
    master: Event,
    key: str,
    start: dt.datetime,
    end: dt.datetime,
    exc: Instance | None,
    tz: str | None,
    *,
    thin: bool = False,
) -> dict[str, Any]:
    """An occurrence (or exception) of `master` as Graph shows it in calendarView/instances."""
    out = _base(master, tz)
    if exc is not None:
        for name, value in exc.props.items():
            out[name] = value
        out["attendees"] = [
            _copy_attendee(a) for a in exc.props.get("attendees", master.props.get("attendees", []))
        ]
        out["changeKey"] = exc.change_key
        out["@odata.etag"] = etag(exc.change_key)
        out["lastModifiedDateTime"] = utc_stamp(exc.modified)
        out["originalStartTimeZone"] = windows_name(exc.start_tz)
        out["originalEndTimeZone"] = windows_name(exc.end_tz)
    occ_id = occurrence_id(master.id, key)
    out.update(
        {
            "id": occ_id,
            "type": "exception" if exc is not None else "occurrence",
            "seriesMasterId": master.id,
            "recurrence": None,
            "iCalUId": occurrence_ical_uid(master.ical_uid, key),
            "originalStart": key_time(key).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start": out_dtz(start, tz),
            "end": out_dtz(end, tz),
        }
    )
    out["webLink"] = (
        f"https://outlook.office365.com/owa/?itemid={occ_id}&exvsurl=1&path=/calendar/item"
    )
    if thin:
        keep = ("@odata.etag", "id", "type", "seriesMasterId", "start", "end")
        return {k: out[k] for k in keep}
    return out


ALWAYS = ("@odata.etag", "id")


def apply_select(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if not select:
        return item
    wanted = {s.strip() for s in select if s.strip()}
    lower = {w.lower() for w in wanted}
    return {
        k: v
        for k, v in item.items()
        if k in ALWAYS or k.lower() in lower or k.startswith("singleValueExtended")
    }
