"""REST JSON bodies -> events (POST) or changes to an event (PATCH)."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GaroonError, bad_param, invalid_end, missing_param
from .model import Event, Member
from .repeat import ALL_DAY_END

if TYPE_CHECKING:
    from .simulator import GaroonSimulator

COMPANY_KEYS = ("name", "zipCode", "address", "route", "routeTime", "routeFare", "phone")


def zone(name: str, param: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad_param(
            param, f"The specified time zone of {param} is invalid.", "GRN_REST_API_00221"
        ) from exc


def parse_rfc3339(text: Any, param: str, tz: ZoneInfo | None = None) -> datetime:
    if not isinstance(text, str):
        raise bad_param(param)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise bad_param(
            param, f"The specified date of {param} is invalid", "GRN_REST_API_00220"
        ) from exc
    if value.tzinfo is None:
        if tz is None:
            raise bad_param(param, f"{param} needs a UTC offset")
        value = value.replace(tzinfo=tz)
    return value


def _when(body: dict[str, Any], key: str) -> tuple[datetime, str]:
    obj = body.get(key)
    if not isinstance(obj, dict) or "dateTime" not in obj:
        raise missing_param(f"{key}.dateTime")
    tz_name = str(obj.get("timeZone") or "Asia/Tokyo")
    tz = zone(tz_name, f"{key}.timeZone")
    return parse_rfc3339(obj["dateTime"], f"{key}.dateTime", tz).astimezone(tz), tz_name


def resolve_members(
    sim: GaroonSimulator, items: Any, previous: list[Member] | None = None, param: str = "attendees"
) -> list[Member]:
    if not isinstance(items, list):
        raise bad_param(param)
    old = {(m.type, m.id): m for m in previous or []}
    out: list[Member] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_param(param)
        kind = str(item.get("type", "USER")).upper()
        ident = item.get("id")
        code = item.get("code")
        if kind == "USER":
            pool = {u.id: u.code for u in sim.users.values()}
        elif kind == "ORGANIZATION":
            pool = {o.id: o.code for o in sim.organizations.values()}
        else:
            raise bad_param(
                f"{param}.type", f"Only USER, ORGANIZATION for {param}.", "GRN_REST_API_00213"
            )
        found: int | None = None
        if ident is not None:  # id wins when both are given
            found = int(ident) if str(ident).isdigit() and int(ident) in pool else None
        elif code is not None:
            found = next((i for i, c in pool.items() if c == code), None)
        if found is None:
            raise bad_param(
                param, f"The object specified in {param} does not exist.", "GRN_REST_API_00206"
            )
        if (kind, found) not in {(m.type, m.id) for m in out}:
            prev = old.get((kind, found))
            out.append(prev if prev is not None else Member(kind, found))
    return out


def resolve_facilities(sim: GaroonSimulator, items: Any) -> list[int]:
    if not isinstance(items, list):
        raise bad_param("facilities")
    out: list[int] = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        code = item.get("code") if isinstance(item, dict) else None
        found: int | None = None
        if ident is not None:
            found = int(ident) if str(ident).isdigit() and int(ident) in sim.facilities else None
        elif code is not None:
            found = next((f.id for f in sim.facilities.values() if f.code == code), None)
        if found is None:
            raise bad_param(
                "facilities",
                "The object specified in facilities does not exist.",
                "GRN_REST_API_00206",
            )
        if found not in out:
            out.append(found)
    return out


def _times(
    body: dict[str, Any], event_type: str, is_all_day: bool, is_start_only: bool
) -> tuple[datetime, datetime | None, str, str]:
    start, start_tz = _when(body, "start")
    end: datetime | None = None
    end_tz = start_tz
    if is_all_day and is_start_only:
        raise bad_param(
            "isAllDay", "Both isStartOnly and isAllDay cannot be true.", "GRN_REST_API_00223"
        )
    if body.get("end") is not None:
        end, end_tz = _when(body, "end")
    elif not is_start_only or event_type == "ALL_DAY" or body.get("facilities"):
        raise bad_param(
            "end",
            "Either 'end' must be specified, or isStartOnly must be 'true'.",
            "GRN_REST_API_00224",
        )
    if is_start_only and event_type == "REGULAR" and not body.get("facilities"):
        end = None
    if is_all_day or event_type == "ALL_DAY":
        # Only the dates count: 00:00 on the first day to 23:59:59 on the last (inclusive).
        start = datetime.combine(start.date(), time(0), start.tzinfo)
        last = (end or start).astimezone(ZoneInfo(end_tz)).date()
        end = datetime.combine(last, ALL_DAY_END, ZoneInfo(end_tz))
    if end is not None and end < start:
        raise invalid_end()
    return start, end, start_tz, end_tz


def _plain_fields(sim: GaroonSimulator, ev: Event, body: dict[str, Any]) -> None:
    if "eventMenu" in body:
        ev.menu = str(body["eventMenu"] or "")
    if "subject" in body:
        ev.subject = str(body["subject"] or "")
    if "notes" in body:
        ev.notes = str(body["notes"] or "")
    if "visibilityType" in body:
        vis = body["visibilityType"]
        if vis not in ("PUBLIC", "PRIVATE"):
            # SET_PRIVATE_WATCHERS was abolished on cloud in 2020-11; sending it is an error.
            raise bad_param("visibilityType", "Only PUBLIC, PRIVATE.", "GRN_REST_API_00212")
        ev.visibility = vis
    if "useAttendanceCheck" in body:
        ev.use_attendance_check = bool(body["useAttendanceCheck"])
    if "companyInfo" in body:
        info = body["companyInfo"] or {}
        if not isinstance(info, dict):
            raise bad_param("companyInfo")
        ev.company_info = {k: str(info[k]) for k in COMPANY_KEYS if info.get(k) is not None}
    if "attendees" in body:
        ev.attendees = resolve_members(sim, body["attendees"], ev.attendees)
    if "watchers" in body:
        ev.watchers = resolve_members(sim, body["watchers"], ev.watchers, "watchers")
    if "facilities" in body:
        ev.facilities = resolve_facilities(sim, body["facilities"])
    if "facilityUsingPurpose" in body:
        ev.facility_using_purpose = str(body["facilityUsingPurpose"] or "")


def event_from_rest(sim: GaroonSimulator, actor: int, body: Any) -> Event:
    """A new, unsaved event from a REST POST body."""
    if not isinstance(body, dict):
        raise GaroonError(
            400, "GRN_REST_API_00105", "Invalid input.", "The request body is invalid."
        )
    event_type = body.get("eventType")
    if event_type is None:
        raise missing_param("eventType")
    if event_type not in ("REGULAR", "ALL_DAY"):
        # Repeating and tentative events cannot be created through REST [doc].
        raise bad_param(
            "eventType",
            "Only allowed values for eventType: [REGULAR, ALL_DAY]",
            "GRN_REST_API_00212",
        )
    if not body.get("attendees") and not body.get("facilities"):
        raise bad_param(
            "attendees",
            "Specify one of the following parameters: [attendees, facilities]",
            "GRN_REST_API_00229",
        )
    is_all_day = bool(body.get("isAllDay", False)) and event_type == "REGULAR"
    is_start_only = bool(body.get("isStartOnly", False)) and event_type == "REGULAR"
    start, end, start_tz, end_tz = _times(body, event_type, is_all_day, is_start_only)
    ev = sim.draft(
        actor,
        start,
        start_tz,
        event_type=event_type,
        end=end,
        end_tz=end_tz,
        is_all_day=is_all_day,
        is_start_only=is_start_only and end is None,
    )
    _plain_fields(sim, ev, body)
    return ev


def apply_rest_patch(
    sim: GaroonSimulator, ev: Event, body: Any, *, require_start: bool | None = None
) -> Event:
    """PATCH: given fields change, omitted fields stay, arrays replace wholesale."""
    if not isinstance(body, dict):
        raise GaroonError(
            400, "GRN_REST_API_00105", "Invalid input.", "The request body is invalid."
        )
    if "eventType" in body and body["eventType"] != ev.event_type:
        raise bad_param("eventType", "eventType cannot be changed.")
    if require_start is None:
        require_start = sim.settings.patch_requires_start
    if require_start and "start" not in body:
        raise missing_param("start")
    new = ev.clone()
    _plain_fields(sim, new, body)
    if "attendees" in body and not new.attendees and not new.facilities:
        raise bad_param(
            "attendees",
            "Specify one of the following parameters: [attendees, facilities]",
            "GRN_REST_API_00229",
        )
    if "start" in body:
        is_all_day = bool(body.get("isAllDay", new.is_all_day)) and new.event_type != "ALL_DAY"
        is_start_only = bool(body.get("isStartOnly", new.is_start_only and "end" not in body))
        if new.event_type == "ALL_DAY":
            is_start_only = False
        kind = "REGULAR" if new.event_type == "REPEATING" else new.event_type
        start, end, start_tz, end_tz = _times(body, kind, is_all_day, is_start_only)
        if new.repeat is not None:
            # A series keeps its dates; only the daily time slot and zone change [unverified].
            new.repeat.start_time = None if is_all_day else start.timetz().replace(tzinfo=None)
            new.repeat.end_time = None if is_all_day or end is None else end.time()
            new.start_tz, new.end_tz = start_tz, end_tz
        else:
            new.start, new.end, new.start_tz, new.end_tz = start, end, start_tz, end_tz
            new.is_all_day = is_all_day
            new.is_start_only = is_start_only and end is None
    return new
