"""Garoon SOAP schedule_event dicts (shape: kakehashi.garoon_client.soap) <-> the REST shape the
engine translates. The engine only knows REST; SOAP is how series are written and how their
rule and exclusions are read with documented names (REST repeatInfo spellings are unverified).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# engine REST repeatInfo.type <-> SOAP condition@type
_TO_SOAP = {
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
_FROM_SOAP = {v: k for k, v in _TO_SOAP.items()}
_REST_DOW = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # SOAP week: 0 = Sunday
SOAP_EOM_DAY = "0"  # fact sheet §2.2: believed to be day="0" [unverified]


def rest_repeat_info(soap_event: dict[str, Any]) -> dict[str, Any] | None:
    """The engine's REST-shaped repeatInfo from a SOAP series (None if it is not one)."""
    info = soap_event.get("repeat_info")
    if not info:
        return None
    cond = info.get("condition") or {}
    kind = _FROM_SOAP.get(str(cond.get("type", "")).lower())
    if kind is None:
        raise ValueError(f"unknown SOAP repeat type {cond.get('type')!r}")
    out: dict[str, Any] = {
        "type": kind,
        "period": {"start": cond.get("start_date"), "end": cond.get("end_date")},
        "timeZone": soap_event.get("timezone"),
        "isAllDay": not cond.get("start_time"),
        "exclusiveDateTimes": [
            {"start": x.get("start"), "end": x.get("end")}
            for x in info.get("exclusive_datetimes") or []
            if x.get("start")
        ],
    }
    if cond.get("start_time"):
        out["time"] = {"start": cond.get("start_time"), "end": cond.get("end_time") or ""}
    week = cond.get("week")
    if week is not None and str(week).isdigit() and kind not in ("EVERY_DAY", "EVERY_WEEKDAY"):
        out["dayOfWeek"] = _REST_DOW[int(week) % 7]
    if kind == "EVERY_MONTH" and cond.get("day") is not None:
        out["dayOfMonth"] = "EOM" if str(cond["day"]) == SOAP_EOM_DAY else str(cond["day"])
    return out


def soap_condition(info: dict[str, Any]) -> dict[str, Any]:
    """SOAP repeat_info (condition + exclusions) from the engine's REST-shaped repeatInfo."""
    cond: dict[str, Any] = {
        "type": _TO_SOAP[info["type"]],
        "start_date": (info.get("period") or {}).get("start"),
    }
    end = (info.get("period") or {}).get("end")
    if end:
        cond["end_date"] = end
    times = info.get("time") or {}
    if not info.get("isAllDay") and times.get("start"):
        cond["start_time"] = times["start"]
        if times.get("end"):
            cond["end_time"] = times["end"]
    if info.get("dayOfWeek"):
        cond["week"] = str(_REST_DOW.index(info["dayOfWeek"]))
    if info.get("dayOfMonth"):
        cond["day"] = SOAP_EOM_DAY if info["dayOfMonth"] == "EOM" else info["dayOfMonth"]
    return {
        "condition": cond,
        "exclusive_datetimes": list(info.get("exclusiveDateTimes") or []),
    }


def soap_event(
    rest: dict[str, Any],
    *,
    user_ids: list[str],
    facility_ids: list[str],
    watcher_ids: list[str] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A SOAP schedule_event from the engine's REST shape (`to_garoon`), people by numeric id.

    A REPEATING shape becomes a series (`repeat_info`, no `when`); anything else a normal event.
    """
    company = rest.get("companyInfo") or {}
    out: dict[str, Any] = {
        "public_type": "private" if rest.get("visibilityType") == "PRIVATE" else "public",
        "plan": rest.get("eventMenu") or "",
        "detail": rest.get("subject") or "",
        "description": rest.get("notes") or "",
        "timezone": rest["start"]["timeZone"],
        "end_timezone": (rest.get("end") or rest["start"])["timeZone"],
        "allday": bool(rest.get("isAllDay")),
        "start_only": False,
        "members": [{"type": "user", "id": uid} for uid in user_ids]
        + [{"type": "facility", "id": fid} for fid in facility_ids],
        "customer": {
            "name": company.get("name", ""),
            "zipcode": company.get("zipCode", ""),
            "address": company.get("address", ""),
            "route": company.get("route", ""),
            "route_time": company.get("routeTime", ""),
            "route_fare": company.get("routeFare", ""),
            "phone": company.get("phone", ""),
        },
    }
    if watcher_ids:
        out["observers"] = [{"type": "user", "id": uid} for uid in watcher_ids]
    if event_id is not None:
        out["id"] = event_id
    if rest.get("repeatInfo"):
        out["event_type"] = "repeat"
        out["repeat_info"] = soap_condition(rest["repeatInfo"])
    elif rest.get("eventType") == "ALL_DAY":
        out["event_type"] = "banner"
        first = _day(rest["start"]["dateTime"])
        last = _day((rest.get("end") or rest["start"])["dateTime"])
        out["when"] = {"date": [{"start": first, "end": last}]}
    else:
        out["event_type"] = "normal"
        span = {
            "start": datetime.fromisoformat(rest["start"]["dateTime"]),
            "end": datetime.fromisoformat((rest.get("end") or rest["start"])["dateTime"]),
        }
        out["when"] = {"datetime": [span]}
    return out


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp).date()
